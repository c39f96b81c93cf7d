/*
 * The libcrypto baseline of the benchmarks' verify group: a module signature checked with
 * OpenSSL's CMS_verify() in-process, as `openssl cms -verify -binary -noverify` checks it: the
 * DER message parsed, the detached content (the module's ELF part) digested, the signer found
 * among the given certificates and its signature verified. The certificates are parsed once, as
 * klpelf's certificate set is. SPDX-License-Identifier: GPL-2.0-only
 */
#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/x509.h>

static STACK_OF(X509) *certs;

/* Parses the DER certificate the signatures are checked against. Returns 0 or -1. */
int cms_bench_init(const unsigned char *der, size_t len)
{
	X509 *cert = d2i_X509(NULL, &der, (long)len);

	if (!cert)
		return -1;
	if (!certs)
		certs = sk_X509_new_null();
	if (!certs || !sk_X509_push(certs, cert)) {
		X509_free(cert);
		return -1;
	}
	return 0;
}

/* Verifies the `sig_len`-byte PKCS#7 message `sig` over the `len` bytes at `content`. Returns 1
 * when it verifies, 0 when it does not, -1 when the message does not parse. */
int cms_bench_verify(const unsigned char *content, size_t len, const unsigned char *sig,
		     size_t sig_len)
{
	const unsigned char *p = sig;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)sig_len);
	BIO *data;
	int ok;

	if (!cms)
		return -1;
	data = BIO_new_mem_buf(content, (int)len);
	ok = data && CMS_verify(cms, certs, NULL, data, NULL, CMS_BINARY | CMS_NOVERIFY) == 1;
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	return ok;
}
