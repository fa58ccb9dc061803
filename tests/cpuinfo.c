/* SPDX-License-Identifier: MIT */
/*
 * /proc/cpuinfo and /proc/cmdline readers (src/fabric/cpuinfo.c): the
 * layouts of x86, of the fixtures' three-line captures and of arm64, the
 * malformed ones, and this machine's own files.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

#include "fabric/cpuinfo.h"

static int parse(const char *text, struct pdma_platform_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->cpu_family = -7;	/* to see that it is set */
	return pdma__cpuinfo_parse(text, strlen(text), pi);
}

static void check_cpu(const char *text, enum pdma_cpu_vendor vendor,
		      int family, const char *model)
{
	struct pdma_platform_info pi;

	CHECK_EQ_INT(parse(text, &pi), 0);
	CHECK_EQ_INT(pi.cpu_vendor, vendor);
	CHECK_EQ_INT(pi.cpu_family, family);
	CHECK_STR(pi.cpu_model, model);
}

static void check_files(void)
{
	char path[] = "/tmp/pdma-cmdline-XXXXXX";
	struct pdma_platform_info pi;
	static const char cmdline[] = "root=/dev/sda1\0intel_iommu=on\n";
	int fd, ret;

	memset(&pi, 0, sizeof(pi));
	CHECK_EQ_INT(pdma__cpuinfo_read("/nonexistent/cpuinfo", &pi), -ENOENT);
	CHECK_EQ_INT(pdma__cmdline_read("/nonexistent/cmdline", &pi), -ENOENT);

	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, cmdline, sizeof(cmdline) - 1) ==
		(ssize_t)sizeof(cmdline) - 1);
	close(fd);
	CHECK_EQ_INT(pdma__cmdline_read(path, &pi), 0);
	CHECK_STR(pi.cmdline, "root=/dev/sda1 intel_iommu=on");
	/* a cpuinfo without a vendor: -EINVAL, the source left alone */
	pi.cpu_source[0] = '\0';
	CHECK_EQ_INT(pdma__cpuinfo_read(path, &pi), -EINVAL);
	CHECK_STR(pi.cpu_source, "");
	unlink(path);

	/* this machine's own, when it has one */
	ret = pdma__cpuinfo_read("/proc/cpuinfo", &pi);
	if (ret == -ENOENT) {
		printf("no /proc/cpuinfo here: that part is skipped\n");
		return;
	}
	CHECK_EQ_INT(ret, 0);
	CHECK_STR(pi.cpu_source, "/proc/cpuinfo");
	CHECK(pi.cpu_vendor != PDMA_CPU_UNKNOWN);
	CHECK_EQ_INT(pdma__cmdline_read("/proc/cmdline", &pi), 0);
	CHECK(strchr(pi.cmdline, '\n') == NULL);
	printf("this machine: vendor %d family %d \"%s\"\n", pi.cpu_vendor,
	       pi.cpu_family, pi.cpu_model);
}

int main(void)
{
	struct pdma_platform_info pi;
	char long_model[200];

	/* x86 as the kernel prints it: the first block only */
	check_cpu("processor\t: 0\nvendor_id\t: GenuineIntel\n"
		  "cpu family\t: 6\nmodel\t\t: 143\n"
		  "model name\t: Intel(R) Xeon(R) Platinum 8480+\n\n"
		  "processor\t: 1\nvendor_id\t: AuthenticAMD\n"
		  "cpu family\t: 25\nmodel name\t: other\n\n",
		  PDMA_CPU_INTEL, 6, "Intel(R) Xeon(R) Platinum 8480+");
	/* the fixtures' captures: three lines, then CPU 1's vendor_id */
	check_cpu("vendor_id\t: AuthenticAMD\ncpu family\t: 23\n"
		  "model name\t: AMD EPYC Processor\nvendor_id\t: GenuineIntel\n",
		  PDMA_CPU_AMD, 23, "AMD EPYC Processor");
	/* no blank line, but a second "processor" starts CPU 1 */
	check_cpu("processor : 0\nvendor_id : AuthenticAMD\ncpu family : 15\n"
		  "processor : 1\ncpu family : 25\n",
		  PDMA_CPU_AMD, 15, "");
	/* another x86 vendor is neither Intel nor AMD */
	check_cpu("vendor_id\t: HygonGenuine\ncpu family\t: 24\n",
		  PDMA_CPU_OTHER, 24, "");
	/* arm64 has no vendor_id, but it is a CPU */
	check_cpu("processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n"
		  "CPU architecture: 8\n\n", PDMA_CPU_OTHER, 0, "");
	/* CRLF line ends */
	check_cpu("vendor_id : GenuineIntel\r\ncpu family : 6\r\n\r\n",
		  PDMA_CPU_INTEL, 6, "");
	/* a model name too long for the field is cut, not refused */
	snprintf(long_model, sizeof(long_model),
		 "vendor_id : GenuineIntel\nmodel name : %0150d\n", 7);
	CHECK_EQ_INT(parse(long_model, &pi), 0);
	CHECK_EQ_INT(strlen(pi.cpu_model), sizeof(pi.cpu_model) - 1);

	/* malformed */
	CHECK_EQ_INT(parse("", &pi), -EINVAL);
	CHECK_EQ_INT(parse("processor : 0\ncpu family : 6\n", &pi), -EINVAL);
	CHECK_EQ_INT(parse("vendor_id : AuthenticAMD\ncpu family : 0x17\n",
			   &pi), -EINVAL);
	CHECK_EQ_INT(parse("vendor_id : AuthenticAMD\ncpu family :\n", &pi),
		     -EINVAL);
	CHECK_EQ_INT(parse("vendor_id : AuthenticAMD\ncpu family : -3\n",
			   &pi), -EINVAL);
	/* the vendor must be in the first block */
	CHECK_EQ_INT(parse("processor : 0\n\nvendor_id : GenuineIntel\n", &pi),
		     -EINVAL);

	check_files();
	return harness_exit();
}
