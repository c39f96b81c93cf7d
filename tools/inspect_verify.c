/*
 * klpelf-inspect --verify and --verify-kernel: see inspect_verify.h.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "inspect_verify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "inspect_errors.h"
#include "inspect_json.h"

/* Says why `path` gave no certificate and returns INSPECT_USAGE. */
static int load_failed(const struct inspect_options *o, const char *what, const char *path, int err)
{
	/* Opening or reading the file failed: the C library's words; else klpelf's. */
	int io = err == -ENOENT || err == -EACCES || err == -EISDIR || err == -EIO || err == -ENOSYS;
	fprintf(stderr, "%s: %s %s: %s (%s)\n", o->argv0, what, path,
		io ? errno_message(err) : klpelf_last_error(), errno_name(err));
	return INSPECT_USAGE;
}

int verify_load(const struct inspect_options *o, struct klpelf_certs **certs)
{
	int i, rc;

	*certs = NULL;
	if (!o->nverify_certs && !o->verify_kernel)
		return INSPECT_OK;
	rc = klpelf_certs_new(certs);
	if (rc)
		return load_failed(o, "certificates", "(new set)", rc);
	for (i = 0; i < o->nverify_certs; i++) {
		rc = klpelf_certs_add_file(*certs, o->verify_certs[i]);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		load_failed(o, "certificate file", o->verify_certs[i], rc);
	} else if (o->verify_kernel) {
		rc = klpelf_certs_add_kernel_image_file(*certs, o->verify_kernel);
		if (rc < 0)
			load_failed(o, "kernel image", o->verify_kernel, rc);
	}
	if (rc >= 0)
		return INSPECT_OK;
	klpelf_certs_free(*certs);
	*certs = NULL;
	return INSPECT_USAGE;
}

int verify_module(const struct klpelf_certs *certs, const void *bytes, size_t len,
		  struct verification *v)
{
	memset(v, 0, sizeof(*v));
	v->have_details = klpelf_signature_details(bytes, len, &v->details) == 0;
	v->err = klpelf_verify_signature(bytes, len, certs);
	if (v->err)
		snprintf(v->why, sizeof(v->why), "%s", klpelf_last_error());
	return v->err ? INSPECT_REJECTED : INSPECT_OK;
}

/* The verdict's one word: what a script branches on. */
static const char *verdict(int err)
{
	switch (err) {
	case 0: return "valid";
	case -ENODATA: return "unsigned";
	case -ENOKEY: return "unknown-key";
	case -EKEYREJECTED: return "invalid";
	case -ENOPKG: return "unsupported";
	case -EBADMSG: return "malformed";
	default: return "error";
	}
}

/* The signer's CommonName, printable, into buf. */
static void signer_text(const struct klpelf_signature_details *d, char *buf, size_t size)
{
	size_t i, n = d->signer_len < size - 1 ? d->signer_len : size - 1;
	for (i = 0; i < n; i++)
		buf[i] = d->signer[i] >= 0x20 && d->signer[i] < 0x7f ? (char)d->signer[i] : '?';
	buf[n] = '\0';
}

/* The key id as colon-separated hexadecimal bytes, as modinfo prints it, into buf. */
static void key_id_text(const struct klpelf_signature_details *d, char *buf, size_t size)
{
	size_t i, at = 0;
	buf[0] = '\0';
	for (i = 0; i < d->key_id_len && at + 4 < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%02X", i ? ":" : "", d->key_id[i]);
}

void print_verification_text(const struct verification *v)
{
	char signer[256], key[200];

	if (v->err) {
		printf("verified:      NO, %s: %s (%s)\n", verdict(v->err), v->why, errno_name(v->err));
		return;
	}
	signer_text(&v->details, signer, sizeof(signer));
	key_id_text(&v->details, key, sizeof(key));
	printf("verified:      yes, %s/%s signature by '%s', key %s\n", v->details.pkey_algo_name,
	       v->details.hash_algo_name, signer, key);
}

void print_verification_json(const struct verification *v)
{
	char signer[256], key[200];

	printf(",\"verify\":{\"valid\":%s,\"verdict\":\"%s\",\"errno\":%d", v->err ? "false" : "true",
	       verdict(v->err), v->err);
	if (v->err) {
		printf(",\"error\":\"%s\",\"message\":", errno_name(v->err));
		json_string(v->why);
	}
	if (v->have_details) {
		signer_text(&v->details, signer, sizeof(signer));
		key_id_text(&v->details, key, sizeof(key));
		printf(",\"signer\":");
		json_string(signer);
		printf(",\"key_id\":\"%s\",\"hash_algo\":\"%s\",\"pkey_algo\":\"%s\"", key,
		       v->details.hash_algo_name, v->details.pkey_algo_name);
	}
	printf("}");
}
