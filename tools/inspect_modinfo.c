/*
 * klpelf-inspect --modinfo: what kmod's `modinfo FILE` prints, from klpelf's inspection API, for a
 * module of any 64-bit architecture and byte order: the "filename:" line, every .modinfo entry in
 * file order as "tag:" padded to 16 columns and the value, the signature (sig_id, signer, sig_key,
 * sig_hashalgo, signature as wrapped hex), then the parameters gathered from parm= and parmtype=
 * (kmod lists them last, most recently first seen first). -F FIELD prints only FIELD's values, one
 * a line, as `modinfo -F`. With --json, one JSON document a module carries all of it, the version
 * tables and the version magic too.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _POSIX_C_SOURCE 200809L
#include "inspect_modinfo.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect_errors.h"
#include "inspect_json.h"
#include "inspect_output.h"

/* A byte string inside the image (not NUL-terminated). */
struct bytes {
	const char *p;
	size_t len;
};

/* One parameter gathered from parm=NAME:DESC and parmtype=NAME:TYPE entries. */
struct param {
	struct bytes name, desc, type; /* desc.p / type.p NULL until seen */
};

struct params {
	struct param *v;
	size_t n, cap;
};

static int bytes_eq(struct bytes b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.p, s, b.len) == 0;
}

/* kmod's process_parm(): NAME:REST from a parm or parmtype value; a later one replaces an
 * earlier description or type of the same NAME. Returns 0, or -ENOMEM. */
static int add_param(struct params *ps, struct bytes key, struct bytes value)
{
	const char *colon = memchr(value.p, ':', value.len);
	struct bytes name, rest;
	size_t i;

	if (!colon) {
		fprintf(stderr, "modinfo: ERROR: Found invalid \"%.*s=%.*s\": missing ':'\n",
			(int)key.len, key.p, (int)value.len, value.p);
		return 0;
	}
	name.p = value.p;
	name.len = (size_t)(colon - value.p);
	rest.p = colon + 1;
	rest.len = value.len - name.len - 1;
	for (i = 0; i < ps->n; i++)
		if (ps->v[i].name.len == name.len && memcmp(ps->v[i].name.p, name.p, name.len) == 0)
			break;
	if (i == ps->n) {
		if (ps->n == ps->cap) {
			size_t cap = ps->cap ? 2 * ps->cap : 16;
			struct param *v = realloc(ps->v, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			ps->v = v;
			ps->cap = cap;
		}
		memset(&ps->v[i], 0, sizeof(ps->v[i]));
		ps->v[i].name = name;
		ps->n++;
	}
	if (bytes_eq(key, "parm"))
		ps->v[i].desc = rest;
	else
		ps->v[i].type = rest;
	return 0;
}

/* The parameters as kmod prints them: newest name first (its list is built by prepending). With
 * `field` ("-F parm") without the "parm:" column and with the type in parentheses. */
static void print_params(const struct params *ps, int field)
{
	size_t i;

	for (i = ps->n; i-- > 0;) {
		const struct param *p = &ps->v[i];
		if (!field)
			printf("%-16s", "parm:");
		if (!p->desc.p)
			printf(field ? "%.*s: (%.*s)\n" : "%.*s:%.*s\n", (int)p->name.len, p->name.p,
			       (int)p->type.len, p->type.p);
		else if (p->type.p)
			printf("%.*s:%.*s (%.*s)\n", (int)p->name.len, p->name.p, (int)p->desc.len,
			       p->desc.p, (int)p->type.len, p->type.p);
		else
			printf("%.*s:%.*s\n", (int)p->name.len, p->name.p, (int)p->desc.len, p->desc.p);
	}
}

/* One "key: value" line as kmod's modinfo prints it: the key, a colon, then padding to column 16
 * (printf's "%-*s" with 15 - keylen, which for a longer key pads by the difference), the value. */
static void print_line(struct bytes key, struct bytes value)
{
	int pad = 15 - (int)key.len;

	printf("%.*s:%*s%.*s\n", (int)key.len, key.p, pad < 0 ? -pad : pad, "", (int)value.len,
	       value.p);
}

/* kmod's hex for sig_key and signature: "XX:" per byte, a "\n\t\t" after every 20th byte but the
 * last. Returns a malloc'd string, or NULL (out of memory). */
static char *hex_lines(const unsigned char *p, size_t len)
{
	char *out = malloc(len * 3 + (len / 20 + 1) * 3 + 1), *at = out;
	size_t i;

	if (!out)
		return NULL;
	*at = '\0';
	for (i = 0; i < len; i++) {
		at += sprintf(at, "%02X", p[i]);
		if (i + 1 < len) {
			*at++ = ':';
			if ((i + 1) % 20 == 0)
				at += sprintf(at, "\n\t\t");
		}
		*at = '\0';
	}
	return out;
}

/* The absolute path kmod shows on the filename: line: the name as given when absolute, else the
 * working directory, '/' and the name (no symbolic link is resolved). */
static void print_filename(const char *name, int field)
{
	char cwd[PATH_MAX];
	const char *dir = "";

	if (name[0] != '/' && getcwd(cwd, sizeof(cwd)))
		dir = cwd;
	if (field)
		printf("%s%s%s\n", dir, *dir ? "/" : "", name);
	else
		printf("%-16s%s%s%s\n", "filename:", dir, *dir ? "/" : "", name);
}

/* The signature's lines (kmod appends them after .modinfo's entries), or for `field` those of its
 * values whose key is `field`. Returns 0 or -ENOMEM. */
static int print_signature(const void *image, size_t len, const char *field)
{
	struct klpelf_signature_details d;
	char *key_hex, *sig_hex;
	struct bytes k[5], v[5];
	int i;

	if (klpelf_signature_details(image, len, &d) != 0)
		return 0; /* unsigned, or a signature kmod could not read either: no lines */
	key_hex = hex_lines(d.key_id, d.key_id_len);
	sig_hex = hex_lines(d.signature, d.signature_len);
	if (!key_hex || !sig_hex) {
		free(key_hex);
		free(sig_hex);
		return -ENOMEM;
	}
	k[0].p = "sig_id", v[0].p = d.id_type_name, v[0].len = strlen(d.id_type_name);
	k[1].p = "signer", v[1].p = (const char *)d.signer;
	/* kmod copies the signer as a C string: it ends at a NUL byte. */
	v[1].len = d.signer ? strnlen((const char *)d.signer, d.signer_len) : 0;
	k[2].p = "sig_key", v[2].p = key_hex, v[2].len = strlen(key_hex);
	k[3].p = "sig_hashalgo", v[3].p = d.hash_algo_name, v[3].len = strlen(d.hash_algo_name);
	k[4].p = "signature", v[4].p = sig_hex, v[4].len = strlen(sig_hex);
	for (i = 0; i < 5; i++) {
		k[i].len = strlen(k[i].p);
		if (!field)
			print_line(k[i], v[i]);
		else if (strcmp(field, k[i].p) == 0)
			printf("%.*s\n", (int)v[i].len, v[i].p);
	}
	free(key_hex);
	free(sig_hex);
	return 0;
}

/* kmod's modinfo_do() for one module file. Returns an enum inspect_status. */
static int modinfo_text(const char *name, const void *image, size_t len, const char *field)
{
	struct klpelf_modinfo_cursor cur = { 0, 0 };
	struct klpelf_modinfo_entry e;
	struct params ps = { NULL, 0, 0 };
	int rc, err = 0;

	if (field && strcmp(field, "filename") == 0) {
		print_filename(name, 1);
		return INSPECT_OK;
	}
	if (!field)
		print_filename(name, 0);
	while (err == 0 && (rc = klpelf_modinfo_next(image, len, &cur, &e)) == 1) {
		struct bytes key = { e.key, e.key_len }, value = { e.value, e.value_len };
		if (field && strcmp(field, "parm") != 0) {
			if (bytes_eq(key, field))
				printf("%.*s\n", (int)value.len, value.p);
		} else if (bytes_eq(key, "parm") || bytes_eq(key, "parmtype")) {
			err = add_param(&ps, key, value);
		} else if (!field) {
			print_line(key, value);
		}
	}
	if (!err && rc < 0) {
		fflush(stdout);
		fprintf(stderr, "modinfo: ERROR: could not get modinfo from '%s': %s\n", name,
			klpelf_last_error());
		free(ps.v);
		return INSPECT_REJECTED;
	}
	if (!err && (!field || strcmp(field, "parm") != 0))
		err = print_signature(image, len, field);
	if (!err && (!field || strcmp(field, "parm") == 0))
		print_params(&ps, field != NULL);
	free(ps.v);
	if (err) {
		fprintf(stderr, "modinfo: ERROR: out of memory\n");
		return INSPECT_USAGE;
	}
	return INSPECT_OK;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* `b` as a JSON string (through a NUL-terminated copy). */
static void json_bytes(const char *p, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy) {
		printf("null");
		return;
	}
	memcpy(copy, p, len);
	copy[len] = '\0';
	json_string(copy);
	free(copy);
}

static void json_hex(const unsigned char *p, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	putchar('"');
}

/* The version table `table` as a JSON array. Returns 0 or klpelf's negative errno. */
static int json_versions(const void *image, size_t len, int table)
{
	struct klpelf_versions_cursor cur = { 0, 0 };
	struct klpelf_version v;
	const char *sep = "";
	int rc;

	putchar('[');
	while ((rc = klpelf_versions_next(image, len, table, &cur, &v)) == 1) {
		printf("%s{\"crc\":\"0x%08llx\",\"name\":", sep, (unsigned long long)v.crc);
		json_bytes(v.name, v.name_len);
		putchar('}');
		sep = ",";
	}
	putchar(']');
	return rc;
}

/* One JSON document: file, modinfo entries, vermagic, versions, signature. */
static int modinfo_json(const char *name, const void *image, size_t len)
{
	struct klpelf_modinfo_cursor cur = { 0, 0 };
	struct klpelf_modinfo_entry e;
	struct klpelf_vermagic vm;
	struct klpelf_versions_info vi;
	struct klpelf_signature_details d;
	const char *sep = "";
	int rc, status = INSPECT_OK;

	printf("{\"schema\":%d,\"file\":", INSPECT_JSON_SCHEMA);
	json_string(name);
	printf(",\"modinfo\":[");
	while ((rc = klpelf_modinfo_next(image, len, &cur, &e)) == 1) {
		printf("%s{\"key\":", sep);
		json_bytes(e.key, e.key_len);
		printf(",\"value\":");
		json_bytes(e.value, e.value_len);
		printf(",\"offset\":%zu%s}", e.offset, e.terminated ? "" : ",\"terminated\":false");
		sep = ",";
	}
	printf("]");
	if (rc < 0) {
		status = INSPECT_REJECTED; /* as the text output's "could not get modinfo" */
		printf(",\"modinfo_error\":{\"errno\":\"%s\",\"message\":", errno_name(rc));
		json_string(klpelf_last_error());
		putchar('}');
	}
	printf(",\"vermagic\":");
	if (klpelf_module_vermagic(image, len, &vm) == 0) {
		printf("{\"release\":");
		json_bytes(vm.release, vm.release_len);
		printf(",\"rest\":");
		json_bytes(vm.rest, vm.rest_len);
		printf(",\"has_crcs\":%s}", vm.has_crcs ? "true" : "false");
	} else {
		printf("null");
	}
	printf(",\"versions\":");
	if (klpelf_module_versions(image, len, &vi) == 0) {
		printf("{\"basic\":");
		rc = vi.has_basic ? json_versions(image, len, KLPELF_VERSIONS_BASIC) : 0;
		if (!vi.has_basic)
			printf("null");
		printf(",\"extended\":");
		if (!rc)
			rc = vi.has_extended ? json_versions(image, len, KLPELF_VERSIONS_EXTENDED) : 0;
		if (!vi.has_extended)
			printf("null");
		putchar('}');
	} else {
		printf("null");
		rc = -1;
	}
	if (rc < 0) {
		printf(",\"versions_error\":");
		json_string(klpelf_last_error());
	}
	printf(",\"signature\":");
	if (klpelf_signature_details(image, len, &d) == 0) {
		printf("{\"sig_id\":");
		json_string(d.id_type_name);
		printf(",\"signer\":");
		json_bytes((const char *)d.signer, d.signer_len);
		printf(",\"sig_key\":");
		json_hex(d.key_id, d.key_id_len);
		printf(",\"sig_hashalgo\":");
		json_string(d.hash_algo_name);
		printf(",\"pkey_algo\":");
		json_string(d.pkey_algo_name);
		printf(",\"signature\":");
		json_hex(d.signature, d.signature_len);
		putchar('}');
	} else {
		printf("null");
	}
	printf("}\n");
	return status;
}

static int modinfo_file(struct inspect_run *run, const char *name, struct klpelf_image *img)
{
	const void *image = klpelf_image_data(img);
	size_t len = klpelf_image_size(img);

	if (run->opts->json)
		return modinfo_json(name, image, len);
	return modinfo_text(name, image, len, run->opts->field);
}

const struct inspect_mode_ops inspect_modinfo_mode = {
	.start = NULL,
	.file = modinfo_file,
	.finish = NULL,
};
