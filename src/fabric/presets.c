/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
#include "model.h"
