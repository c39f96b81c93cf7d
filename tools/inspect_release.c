/*
 * klpelf-inspect --kernel-release: see inspect_release.h.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _POSIX_C_SOURCE 200809L
#include "inspect_release.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#define MAP_PREFIX "System.map-"

/* The file name part of a path. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

void release_of_map(const struct inspect_options *o, char *out, size_t size, const char **source)
{
	const char *name = o->map_path ? base_name(o->map_path) : "";
	struct utsname uts;

	out[0] = '\0';
	*source = NULL;
	if (o->kernel_release) {
		snprintf(out, size, "%s", o->kernel_release);
		*source = "--kernel-release";
	} else if (strncmp(name, MAP_PREFIX, strlen(MAP_PREFIX)) == 0 && name[strlen(MAP_PREFIX)]) {
		snprintf(out, size, "%s", name + strlen(MAP_PREFIX));
		*source = "map file name";
	} else if (o->map_path && strcmp(o->map_path, "/proc/kallsyms") == 0 && uname(&uts) == 0) {
		snprintf(out, size, "%s", uts.release);
		*source = "uname -r";
	}
}

int release_check(const struct load_info *info, const char *expected, const char *source,
		  int force, struct release_check *c)
{
	const char *vermagic = klpelf_get_modinfo(info, "vermagic");

	memset(c, 0, sizeof(*c));
	c->expected = expected && expected[0] ? expected : NULL;
	c->source = c->expected ? source : NULL;
	c->forced = force;
	snprintf(c->vermagic, sizeof(c->vermagic), "%s", vermagic ? vermagic : "");
	sscanf(c->vermagic, "%255s", c->release);
	c->matches = !c->expected || strcmp(c->release, c->expected) == 0;
	if (c->matches)
		return 0;
	if (!vermagic)
		snprintf(c->why, sizeof(c->why),
			 "the module has no vermagic, so it cannot be shown to be built for kernel %.255s "
			 "(%.32s); --force checks it anyway", c->expected, c->source);
	else
		snprintf(c->why, sizeof(c->why),
			 "the module was built for kernel %s (vermagic '%s'), the map is kernel %.255s's "
			 "(%.32s): use that kernel's map, or --kernel-release, or --force to check anyway",
			 c->release, c->vermagic, c->expected, c->source);
	return force ? 0 : -ENOEXEC;
}
