#!/bin/bash
# tests/cli.sh PEERDMA FIXTURES: drive the built peerdma(1) through every
# command, on the built-in presets and on the kernel fixtures, and check its
# verdicts against the kernel's own (FIXTURES/kernel/*/p2p_matrix.txt), its
# JSON, its errors and exit statuses, and the fallback from a machine with
# nothing to show.  TAP output: "ok N - ..." / "not ok N - ..."; exit 1 on
# any failure.
set -u

if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
	echo "usage: tests/cli.sh PATH/TO/peerdma FIXTURES_DIR" >&2
	exit 2
fi
pdma=$1
fix=$2
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 is needed to check JSON output (scripts/setup.sh installs it)"
	exit 0
fi
kernel=$fix/kernel
export NO_COLOR=1 COLUMNS=80
unset PEERDMA_ROOT

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	if [ -s "$tmp/why" ]; then
		sed 's/^/#   /' "$tmp/why" | head -n 20
	fi
}

# check DESC CMD...: one test, passing when CMD succeeds; CMD may write why
# it failed to $tmp/why.
check() {
	local desc=$1
	shift
	: >"$tmp/why"
	if "$@" >>"$tmp/why" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
	fi
}

# run ARGS...: run peerdma; $out, $err hold the output, $rc the status.
run() {
	"$pdma" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# Conditions, each printing what went wrong.
rc_is() {
	[ "$rc" -eq "$1" ] && return 0
	echo "exit status $rc, expected $1; stderr: $err"
	return 1
}

has() {
	grep -qF -- "$2" <<<"$1" && return 0
	echo "no '$2' in:"
	head -n 15 <<<"$1"
	return 1
}

one_error_line() {
	local lines
	lines=$(wc -l <"$tmp/err")
	if [ "$lines" -ne 1 ] || [[ $err != "peerdma: "* ]]; then
		echo "stderr is not one 'peerdma: ' line ($lines lines):"
		cat "$tmp/err"
		return 1
	fi
	if [ -s "$tmp/out" ]; then
		echo "stdout is not empty:"
		head -n 5 "$tmp/out"
		return 1
	fi
}

# usage_error DESC EXPECT ARGS...: exit 2, one line naming EXPECT.
usage_error() {
	local desc=$1 expect=$2
	shift 2
	run "$@"
	check "$desc: exit 2, one line" eval 'rc_is 2 && one_error_line && has "$err" "$expect"'
}

# shows_all MATRIX: $out names every provider of a p2p_matrix.txt.
shows_all() {
	local b
	for b in $(awk '!/^#/ {print $1}' "$1" | sort -u); do
		has "$out" "${b#0000:}" || return 1
	done
}

py() {
	python3 -c "$@"
}

# jcheck SCRIPT ARGS...: a python check of JSON files written by peerdma
# with stderr to $tmp/gen.err; shows that stderr when the check fails.
jcheck() {
	local script=$1
	shift
	python3 -c "import json, sys
def load(path):
    try:
        return json.load(open(path))
    except Exception as e:
        print('%s: %s' % (path, e))
        sys.exit(1)
$script" "$@" && return 0
	sed 's/^/peerdma said: /' "$tmp/gen.err"
	return 1
}

# ---- help and version -------------------------------------------------

run --version
check "--version" eval 'rc_is 0 && [[ $out =~ ^peerdma\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "$out"; false; }'
run --help
check "--help lists every command" eval 'rc_is 0 && has "$out" topo && has "$out" matrix && has "$out" explain && has "$out" export && has "$out" snapshot && has "$out" presets && has "$out" run && has "$out" bench'
for c in topo matrix explain export snapshot presets bench; do
	run "$c" --help
	check "$c --help" eval 'rc_is 0 && has "$out" "Usage: peerdma $c"'
done
run help explain
check "help explain" eval 'rc_is 0 && has "$out" "Usage: peerdma explain"'

# ---- errors: exit 2 and one line ----------------------------------------

default=$("$pdma" presets --json | py 'import json,sys; print(json.load(sys.stdin)["presets"][0]["name"])')
d2=$kernel/d2-iommu-nested
printf '{"host_bridges": [' >"$tmp/truncated.json"
printf '{"functions": 3}\n' >"$tmp/wrong.json"
printf 'this is not an lspci dump\n' >"$tmp/bad-lspci.txt"

run
check "no command: exit 2, one line" eval 'rc_is 2 && one_error_line'
usage_error "unknown command" "frobnicate" frobnicate
usage_error "unknown option" "--frobnicate" matrix --frobnicate
usage_error "unknown short option" "-z" topo -z
usage_error "option of another command" "--qemu" matrix --qemu --preset "$default"
usage_error "option without its value" "--topo" matrix --topo
usage_error "explain with one device" "PROVIDER CLIENT" explain nvme0 --preset "$default"
usage_error "unknown device" "nvme99" explain nvme99 0000:09:00.0 --sysfs "$d2"
usage_error "unknown BDF" "0000:7f:00.0" explain 0000:09:00.0 0000:7f:00.0 --sysfs "$d2"
usage_error "bridge named as a device" "bridge" explain 0000:00:07.0 0000:09:00.0 --sysfs "$d2"
usage_error "missing topology file" "$tmp/missing.json" matrix --topo "$tmp/missing.json"
usage_error "missing lspci dump" "$tmp/missing.txt" matrix --lspci "$tmp/missing.txt"
usage_error "missing sysfs root" "$tmp/missing" topo --sysfs "$tmp/missing"
usage_error "truncated topology file" "$tmp/truncated.json" matrix --topo "$tmp/truncated.json"
usage_error "malformed topology file" "$tmp/wrong.json" topo --topo "$tmp/wrong.json"
usage_error "malformed lspci dump" "$tmp/bad-lspci.txt" matrix --lspci "$tmp/bad-lspci.txt"
usage_error "unknown preset" "no-such-machine" matrix --preset no-such-machine
usage_error "two sources" "only one" matrix --preset "$default" --sysfs "$d2"
usage_error "unknown rules" "6.99" matrix --preset "$default" --rules 6.99
usage_error "bad --cpu" "sparc" matrix --preset "$default" --cpu sparc
usage_error "export without a format" "--json" export --preset "$default"
if [ -w /dev/full ]; then
	"$pdma" presets >/dev/full 2>"$tmp/err"
	rc=$? err=$(cat "$tmp/err")
	check "output that cannot be written: exit 1" eval 'rc_is 1 && has "$err" "peerdma: writing"'
fi

# ---- presets -------------------------------------------------------------

# The non-bridge functions of a topo --json document, one BDF a line.
nonbridge_py='
import json, sys
BRIDGES = {"root port", "switch upstream", "switch downstream", "PCI bridge"}
def walk(fs):
    for f in fs:
        if f["role"] not in BRIDGES:
            print(f["bdf"])
        walk(f["children"])
for hb in load(sys.argv[1])["host_bridges"]:
    walk(hb["functions"])
'

# Every ordered pair of the functions in $1 (one a line), once, in $2, with
# exactly the documented keys.
pairs_py='
import json, sys
funcs = open(sys.argv[1]).read().split()
d = load(sys.argv[2])
top = {"pairs", "rules", "cpu", "source", "notes"}
keys = {"provider", "client", "kernel_distance", "map_type", "path_class",
        "path", "bottleneck_gbps", "modeled_gbps", "reasons", "fix"}
bad = []
if set(d) != top:
    bad.append("top-level keys %s" % sorted(d))
got = [(p["provider"], p["client"]) for p in d["pairs"]]
want = [(a, b) for a in funcs for b in funcs]
if sorted(got) != sorted(want) or len(got) != len(set(got)):
    bad.append("%d pairs, expected %d" % (len(got), len(want)))
for p in d["pairs"]:
    if set(p) != keys:
        bad.append("pair keys %s" % sorted(p))
        break
    if p["map_type"] not in ("BUS_ADDR", "THRU_HOST_BRIDGE", "NOT_SUPPORTED"):
        bad.append("map type %s" % p["map_type"])
    if (p["kernel_distance"] == -1) != (p["map_type"] == "NOT_SUPPORTED"):
        bad.append("%s -> %s: distance %d with %s" % (p["provider"],
                   p["client"], p["kernel_distance"], p["map_type"]))
    for r in p["reasons"]:
        if set(r) != {"rule", "node", "text"}:
            bad.append("reason keys %s" % sorted(r))
print("\n".join(bad[:10]))
sys.exit(1 if bad else 0)
'

# Verdicts of two matrix --json documents: the same pairs, distances, map
# types and path classes.
same_verdicts_py='
import json, sys
def v(path):
    return sorted((p["provider"], p["client"], p["kernel_distance"],
                   p["map_type"], p["path_class"])
                  for p in load(path)["pairs"])
a, b = v(sys.argv[1]), v(sys.argv[2])
for x, y in zip(a, b):
    if x != y:
        print("%s  vs  %s" % (x, y))
        sys.exit(1)
sys.exit(0 if a == b else 1)
'

mapfile -t presets < <("$pdma" presets --json |
	py 'import json,sys; [print(p["name"]) for p in json.load(sys.stdin)["presets"]]')
run presets
check "presets lists ${#presets[@]} machines, the first as default" \
	eval 'rc_is 0 && [ ${#presets[@]} -gt 0 ] && has "$out" "${presets[0]}" && has "$out" "(default)"'

for p in "${presets[@]}"; do
	run topo --preset "$p"
	check "preset $p: topo" eval 'rc_is 0 && has "$out" "host bridge" && has "$out" "Source:"'
	"$pdma" topo --json --preset "$p" >"$tmp/topo.json" 2>"$tmp/gen.err"
	jcheck "$nonbridge_py" "$tmp/topo.json" >"$tmp/funcs" 2>&1
	check "preset $p: topo --json lists functions" eval '[ -s "$tmp/funcs" ] || { cat "$tmp/funcs"; false; }'
	run matrix --preset "$p"
	check "preset $p: matrix" eval 'rc_is 0 && has "$out" "Legend" && has "$out" "Rules:" && has "$out" "CPU:" && has "$out" "Source:"'
	run matrix --all --preset "$p"
	check "preset $p: matrix --all" eval 'rc_is 0 && has "$out" "Legend"'
	"$pdma" matrix --json --preset "$p" >"$tmp/m.json" 2>"$tmp/gen.err"
	check "preset $p: matrix --json has every ordered pair" \
		jcheck "$pairs_py" "$tmp/funcs" "$tmp/m.json"
	read -r prov cli < <(py 'import json,sys
for p in json.load(open(sys.argv[1]))["pairs"]:
    if p["provider"] != p["client"]:
        print(p["provider"], p["client"]); break' "$tmp/m.json")
	run explain "$prov" "$cli" --preset "$p"
	check "preset $p: explain $prov $cli" eval 'rc_is 0 && has "$out" "Verdict:" && has "$out" "Route" && has "$out" "Rules:"'
	"$pdma" explain "$prov" "$cli" --json --preset "$p" >"$tmp/e.json" 2>"$tmp/gen.err"
	check "preset $p: explain --json agrees with matrix --json" jcheck '
e = load(sys.argv[1])
m = [p for p in load(sys.argv[2])["pairs"]
     if p["provider"] == e["provider"] and p["client"] == e["client"]][0]
for k in m:
    if e[k] != m[k]:
        print(k, e[k], m[k]); sys.exit(1)' "$tmp/e.json" "$tmp/m.json"
	run export --json --preset "$p"
	printf '%s\n' "$out" >"$tmp/export.json"
	check "preset $p: export --json" eval 'rc_is 0 && [ -n "$out" ]'
	"$pdma" matrix --json --topo "$tmp/export.json" >"$tmp/m2.json" 2>"$tmp/gen.err"
	check "preset $p: its export, read back, gives the same verdicts" \
		jcheck "$same_verdicts_py" "$tmp/m.json" "$tmp/m2.json"
	run export --qemu --preset "$p"
	check "preset $p: export --qemu" eval 'rc_is 0 && [ -n "$out" ]'
done
run presets --json
check "presets --json" eval 'rc_is 0 && py "import json,sys; d=json.load(sys.stdin); assert d[\"presets\"][0][\"description\"]" <<<"$out"'

# ---- the kernel fixtures ---------------------------------------------------

# matrix --json against p2p_matrix.txt: the same ordered pairs, the kernel's
# distances, NOT_SUPPORTED exactly where it said -1, and the map type of
# its dma_map_sgtable() where it tried one.
kernel_py='
import json, sys
want = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[2:])
    want[(f[0], f[1])] = (int(kv["distance"]), kv["dma_map"])
got = {(p["provider"], p["client"]): p for p in load(sys.argv[2])["pairs"]}
bad = []
for k in sorted(set(want) - set(got)):
    bad.append("missing pair %s -> %s" % k)
for k in sorted(set(got) - set(want)):
    bad.append("extra pair %s -> %s" % k)
for k in sorted(set(want) & set(got)):
    d, m = want[k]
    p = got[k]
    if p["kernel_distance"] != d:
        bad.append("%s -> %s: distance %d, kernel %d" % (k + (p["kernel_distance"], d)))
    if (d == -1) != (p["map_type"] == "NOT_SUPPORTED"):
        bad.append("%s -> %s: %s, kernel distance %d" % (k + (p["map_type"], d)))
    if m != "-" and p["map_type"] != m:
        bad.append("%s -> %s: %s, kernel mapped %s" % (k + (p["map_type"], m)))
print("%d pairs checked" % len(want))
print("\n".join(bad[:10]))
sys.exit(1 if bad or not want else 0)
'

nr_fixtures=0
for dir in "$kernel"/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	[ -f "$dir/p2p_matrix.txt" ] || continue
	nr_fixtures=$((nr_fixtures + 1))
	run topo --sysfs "$dir"
	check "$name: topo --sysfs shows every function" eval 'rc_is 0 && shows_all "$dir/p2p_matrix.txt"'
	run topo --json --sysfs "$dir"
	check "$name: topo --json" eval 'rc_is 0 && py "import json,sys; json.load(sys.stdin)" <<<"$out"'
	run matrix --sysfs "$dir"
	check "$name: matrix --sysfs" eval 'rc_is 0 && has "$out" "Source:"'
	"$pdma" matrix --json --sysfs "$dir" >"$tmp/k.json" 2>"$tmp/gen.err"
	check "$name: matrix --json has the kernel's verdict for every ordered pair" \
		jcheck "$kernel_py" "$dir/p2p_matrix.txt" "$tmp/k.json"
	family=$(awk -F: '/^cpu family/ {gsub(/ /, "", $2); print $2; exit}' "$dir/cpuinfo.txt")
	"$pdma" matrix --json --lspci "$dir/lspci-xxxx.txt" --cpu "amd:$family" \
		>"$tmp/l.json" 2>"$tmp/gen.err"
	check "$name: matrix --json from lspci -xxxx (--cpu amd:$family) has the kernel's verdicts" \
		jcheck "$kernel_py" "$dir/p2p_matrix.txt" "$tmp/l.json"
done
check "the kernel fixtures are there" test "$nr_fixtures" -ge 4

run matrix --lspci "$d2/lspci-xxxx.txt" --cpu amd:15
check "lspci: the IOMMU is unknown, not off" eval 'rc_is 0 && has "$out" "IOMMU:  unknown"'
run matrix --sysfs "$d2"
check "sysfs: d2's IOMMU is on" eval 'rc_is 0 && has "$out" "IOMMU:  on"'

run explain 0000:09:00.0 0000:09:00.1 --sysfs "$d2"
check "d2: explain 09:00.0 -> 09:00.1 names the ACS fix" eval 'rc_is 0 && has "$out" "NOT_SUPPORTED" && has "$out" "pci=disable_acs_redir=0000:00:07.0" && has "$out" "acs_redirect"'
by_bdf=$out
run explain 09:00.0 "$(py '
import json, sys
for hb in json.load(sys.stdin)["host_bridges"]:
    def walk(fs):
        for f in fs:
            if f["bdf"] == "0000:09:00.1": print(f["label"])
            walk(f["children"])
    walk(hb["functions"])' < <("$pdma" topo --json --sysfs "$d2"))" --sysfs "$d2"
check "d2: explain by short BDF and label is the same" eval 'rc_is 0 && [ "$out" = "$by_bdf" ]'
run explain 0000:09:00.0 0000:09:00.1 --sysfs "$kernel/d3-iommu-acs-cleared"
check "d3 (ACS redirect cleared): the same pair is BUS_ADDR" eval 'rc_is 0 && has "$out" "BUS_ADDR" && has "$out" "Distance: 2"'
"$pdma" explain 0000:03:00.0 0000:06:00.0 --json --sysfs "$kernel/d1-intel-3port" --cpu amd:23 >"$tmp/e.json" 2>"$tmp/gen.err"
check "d1 with --cpu amd:23: across root ports is THRU_HOST_BRIDGE" jcheck '
e = load(sys.argv[1])
print(e["map_type"], e["cpu"])
sys.exit(0 if e["map_type"] == "THRU_HOST_BRIDGE" and e["cpu"]["family"] == 23 else 1)' "$tmp/e.json"
run matrix --json --sysfs "$d2" --rules latest
check "--rules latest" eval 'rc_is 0 && has "$out" "\"rules\"" && ! has "$out" "Linux 6.12" >/dev/null'

# ---- snapshot ----------------------------------------------------------------

run snapshot "$tmp/snap" --sysfs "$d2"
check "snapshot of d2" eval 'rc_is 0 && [ -d "$tmp/snap" ]'
"$pdma" matrix --json --sysfs "$d2" >"$tmp/a.json" 2>/dev/null
"$pdma" matrix --json --sysfs "$tmp/snap" >"$tmp/b.json" 2>"$tmp/gen.err"
check "the snapshot gives d2's verdicts" jcheck "$same_verdicts_py" "$tmp/a.json" "$tmp/b.json"
mkdir -p "$tmp/full" && touch "$tmp/full/something"
usage_error "snapshot into a non-empty directory" "$tmp/full" snapshot "$tmp/full" --sysfs "$d2"

# ---- this machine, and the fallback --------------------------------------------

# d1 with only the functions of bus 0 that are no PCIe device: the host
# bridge and the three ICH9 functions.
trim=$tmp/trim
cp -a "$kernel/d1-intel-3port" "$trim"
for f in "$trim"/sys/devices/pci0000:00/0000:*; do
	case $(basename "$f") in
	0000:00:00.0|0000:00:1f.*) ;;
	*) rm -rf "$f" "$trim/sys/bus/pci/devices/$(basename "$f")" ;;
	esac
done
find "$trim/sys/bus/pci/devices" -mindepth 1 -maxdepth 1 \
	! -name '0000:00:00.0' ! -name '0000:00:1f.*' -exec rm -rf {} +
PEERDMA_ROOT=$trim "$pdma" matrix >"$tmp/out" 2>"$tmp/err"
rc=$? out=$(cat "$tmp/out") err=$(cat "$tmp/err")
want="peerdma: this machine has no PCIe devices worth showing (only 4 functions on bus 00); showing the built-in preset '$default' — use --sysfs / --lspci / --topo / --preset to choose"
check "a machine with 4 functions on bus 0 falls back to preset $default, saying so" \
	eval 'rc_is 0 && [ "$err" = "$want" ] || { echo "got:  $err"; echo "want: $want"; false; }'
"$pdma" matrix --preset "$default" >"$tmp/preset.out" 2>/dev/null
check "... and shows the preset" cmp -s "$tmp/out" "$tmp/preset.out"
PEERDMA_ROOT=$tmp/nothing-here "$pdma" topo >"$tmp/out" 2>"$tmp/err"
rc=$? err=$(cat "$tmp/err")
check "an unreadable machine falls back too, in one line" \
	eval 'rc_is 0 && [ "$(wc -l <"$tmp/err")" -eq 1 ] && has "$err" "cannot read this machine" && has "$err" "showing the built-in preset"'
PEERDMA_ROOT=$d2 "$pdma" matrix >"$tmp/out" 2>"$tmp/err"
rc=$?
check "a machine with PCIe devices is shown, without a message" \
	eval 'rc_is 0 && [ ! -s "$tmp/err" ] && has "$(cat "$tmp/out")" "$d2"'
run matrix
check "this machine: matrix (or the fallback, in one line)" \
	eval 'rc_is 0 && { [ -z "$err" ] || { [ "$(wc -l <"$tmp/err")" -eq 1 ] && has "$err" "showing the built-in preset"; }; }'

# ---- bench ---------------------------------------------------------------

run bench --quick
check "bench --quick: one table with every benchmark, ratios and goals" \
	eval 'rc_is 0 && has "$out" BENCHMARK && has "$out" RATIO && has "$out" verdict && has "$out" copy/p2p-vs-bounce && has "$out" iova/1-thread && has "$out" p2pmem/alloc && has "$out" fence/lifecycle && has "$out" scenario/p2p-vs-bounce && has "$out" "goals met" && has "$out" "pairs agree"'
"$pdma" bench --quick --json verdict iova >"$tmp/bench.json" 2>"$tmp/gen.err"
rc=$?
check "bench --quick --json verdict iova parses, only those, with the machine" \
	eval 'rc_is 0 && jcheck "
d = load(sys.argv[1])
names = [b[\"name\"] for b in d[\"benchmarks\"]]
assert names == [\"verdict\", \"iova/1-thread\", \"iova/2-threads\"], names
for b in d[\"benchmarks\"]:
    o, base = b[\"ours\"][\"value\"], b[\"baseline\"][\"value\"]
    assert o > 0 and base > 0 and b[\"ours\"][\"unit\"] == b[\"baseline\"][\"unit\"], b
    assert abs(b[\"ratio\"] - o / base) < 1e-6 * b[\"ratio\"], b
    assert b[\"goal\"] == 5 and b[\"met\"] == (b[\"ratio\"] >= 5), b
assert d[\"machine\"][\"nproc\"] >= 1 and len(d[\"machine\"][\"load_average\"]) == 3
" "$tmp/bench.json"'
usage_error "bench with an unknown name" "unknown benchmark 'nope': use verdict, copy, iova, p2pmem, fence or scenario" bench --quick nope
usage_error "bench --quick=x" "unknown option" bench --quick=x
run bench --help
check "bench --help" eval 'rc_is 0 && has "$out" "Usage: peerdma bench"'

# ---- run ----------------------------------------------------------------

run run
check "run: copy-offload on the default preset, summary, matrix, table, verified" \
	eval 'rc_is 0 && has "$out" "Scenario copy-offload on preset dgx-like" && has "$out" "P2P (row provider" && has "$out" "nic->cmb->nvme" && has "$out" "nic->ram->nvme" && has "$out" "BUS_ADDR (nvme0 -> nic0)" && has "$out" "Every byte verified."'
check "run: no progress bar when stderr is not a TTY" test ! -s "$tmp/err"
run run --list
check "run --list names every built-in, copy-offload first" \
	eval 'rc_is 0 && [[ $out == copy-offload* ]] && has "$out" gpu-direct && has "$out" unplug && has "$out" eviction-storm'
"$pdma" run gpu-direct --preset workstation --json >"$tmp/run.json" 2>"$tmp/gen.err"
rc=$?
check "run gpu-direct --preset workstation --json: bounce with the host bridge reason" \
	eval 'rc_is 0 && jcheck "
d = load(sys.argv[1])
assert d[\"ok\"] and d[\"devices\"][\"gpu\"] == \"gpu0\", d[\"devices\"]
assert [p[\"kind\"] for p in d[\"paths\"]] == [\"nvme-to-gpu\", \"gpu-to-nic\"]
for p in d[\"paths\"]:
    assert not p[\"p2p\"] and p[\"verdict\"] == \"NOT_SUPPORTED\", p
    assert \"allow-list\" in p[\"why\"] and p[\"why\"].endswith(\"staged through RAM\"), p
    assert p[\"verified\"] and p[\"src_crc32\"] == p[\"dst_crc32\"], p
    assert p[\"ram_bytes\"] >= p[\"bytes\"] > 0 and p[\"measured_gbps\"] > 0, p
    assert p[\"links\"] and all(l[\"up\"] + l[\"down\"] > 0 for l in p[\"links\"]), p
" "$tmp/run.json"'
"$pdma" run --sysfs "$kernel/d4-epyc-pxb" --json >"$tmp/run4.json" 2>"$tmp/gen.err"
rc=$?
check "run --sysfs d4-epyc-pxb --json: P2P below the switch, RAM untouched" \
	eval 'rc_is 0 && jcheck "
d = load(sys.argv[1])
p2p, bounce = d[\"paths\"]
assert p2p[\"p2p\"] and p2p[\"verdict\"] == \"BUS_ADDR\" and p2p[\"ram_bytes\"] * 64 < p2p[\"bytes\"], p2p
assert not bounce[\"p2p\"] and bounce[\"ram_bytes\"] >= 2 * bounce[\"bytes\"], bounce
" "$tmp/run4.json"'
run run unplug --plot "$tmp/run.svg"
check "run unplug --plot: the error is shown, the SVG is XML with bars and the tree" \
	eval 'rc_is 0 && has "$out" "error: " && py "
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
assert t.tag.endswith(\"svg\"), t.tag
texts = [e.text or \"\" for e in t.iter() if e.tag.endswith(\"text\")]
assert any(\"measured\" in x for x in texts) and \"nvme0\" in texts and \"nic0\" in texts, texts
assert sum(1 for e in t.iter() if e.tag.endswith(\"line\")) >= 3
" "$tmp/run.svg"'
run run "$fix/scenario-bad/bad-kind.json"
check "run with a bad scenario file: exit 2, one line with the file and JSON path" \
	eval 'rc_is 2 && one_error_line && has "$err" "bad-kind.json: flows[0].kind: unknown kind"'
run run "$fix/scenario-bad/syntax.json"
check "run with a scenario file that is not JSON: exit 2, one line with the line" \
	eval 'rc_is 2 && one_error_line && has "$err" "syntax.json: line 4"'
usage_error "run an unknown scenario" "unknown scenario \"nope\": the built-in scenarios are copy-offload" run nope
usage_error "run on an unknown preset" "unknown preset" run --preset nope
usage_error "run --plot without a file" "needs a value" run --plot
run run --help
check "run --help" eval 'rc_is 0 && has "$out" "Usage: peerdma run"'

echo "1..$n"
if [ "$failed" -ne 0 ]; then
	echo "# $failed of $n failed"
	exit 1
fi
exit 0
