/*
 * tls.c: the OpenSSL context of tls: listeners and the OpenSSL side of
 * each TLS connection (see tls.h).
 *
 * Files are read with readfile() (regular files only, 1 MiB at most,
 * never blocking) and parsed from memory, so every failure names its
 * file.  The context allows TLS 1.2 and 1.3 with OpenSSL's default
 * ciphers, refuses renegotiation (a client could make the server redo
 * the costly half of a handshake at will), keeps no session cache
 * (resumption uses tickets, so a flood of handshakes stores nothing), and
 * lets OpenSSL release a connection's buffers while it is idle.
 *
 * A peer must not hold a worker: OpenSSL's SSL_MODE_AUTO_RETRY would let
 * one SSL_read() go on through handshake records for as long as they
 * keep coming (a renegotiation or KeyUpdate flood froze every client of
 * a worker for 17 s), so it is off: one record per read, then the loop
 * serves the others; tls_watch.c cuts off a client whose records or
 * handshake messages would hold a worker or OpenSSL's memory, and sets
 * off the connection's alarm (tls_accept()) so conn.c closes it.  A
 * client's certificate list is capped (16 KiB, depth 8): each certificate
 * costs a parse and a verification before any is refused.  Finite-field
 * key exchange is off (TLS_GROUPS): it costs the server 100 times what it
 * costs the client.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "echod/config.h"
#include "echod/log.h"
#include "echod/readfile.h"
#include "echod/tls.h"
#include "echod/tls_watch.h"

struct tls {
	SSL_CTX		*ctx;
	char		 about[256];	/* tls_describe() */
};

#define TLS_CERT_LIST_MAX	(16 * 1024)	/* a client's chain, bytes */
#define TLS_VERIFY_DEPTH	8
#define TLS_GROUPS		"X25519:P-256:X448:P-384:P-521"

/* The reason of OpenSSL's last error, for a message ("ee key too small"). */
static const char *
ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	return why != NULL ? why : "unknown reason";
}

/* Keys are never decrypted: say so instead of failing obscurely. */
static int
no_passphrase(char *buf, int size, int rwflag, void *asked)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)asked = 1;
	return -1;
}

/* A file's bytes (not NUL-terminated) and a memory BIO over them. */
struct pem {
	char	*text;
	size_t	 len;
	BIO	*bio;
};

/* The whole of the file --OPTION names, in a memory BIO. */
static int
open_pem(const char *option, const char *path, struct pem *p, char *err,
    size_t errlen)
{
	int rc;

	if ((rc = readfile(option, path, TLS_FILE_MAX, &p->text, &p->len, err,
	    errlen)) != 0)
		return rc;
	if ((p->bio = BIO_new_mem_buf(p->text, (int)p->len)) == NULL) {
		snprintf(err, errlen, "--%s '%s': out of memory", option, path);
		free(p->text);
		return EX_OSERR;
	}
	return 0;
}

/* SECRET: a key, wiped from memory before it is freed. */
static void
close_pem(struct pem *p, int secret)
{
	BIO_free(p->bio);
	if (secret)
		OPENSSL_cleanse(p->text, p->len);
	free(p->text);
}

/* "2027-11-30" */
static void
format_date(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "(unknown)");
}

/* Loaded either way; out of its dates, clients will refuse it. */
static void
check_dates(struct tls *t, const char *path, X509 *cert)
{
	const ASN1_TIME *from = X509_get0_notBefore(cert);
	const ASN1_TIME *until = X509_get0_notAfter(cert);
	char subject[128], date[32];

	if (X509_NAME_oneline(X509_get_subject_name(cert), subject,
	    sizeof(subject)) == NULL)
		snprintf(subject, sizeof(subject), "(no subject)");
	format_date(until, date, sizeof(date));
	snprintf(t->about, sizeof(t->about), "certificate %s, valid until %s",
	    subject, date);
	if (X509_cmp_current_time(until) < 0)
		log_warnx("--tls-cert '%s': the certificate expired on %s; "
		    "clients that check it will refuse it: renew it",
		    path, date);
	if (X509_cmp_current_time(from) > 0) {
		format_date(from, date, sizeof(date));
		log_warnx("--tls-cert '%s': the certificate is not valid "
		    "before %s; clients that check it will refuse it until "
		    "then (is the clock right?)", path, date);
	}
}

/* Did the PEM reader stop at the end of the file, or at damage? */
static int
pem_at_end(void)
{
	unsigned long e = ERR_peek_last_error();

	if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
		ERR_clear_error();
		return 1;
	}
	return 0;
}

/* The certificate, then any chain after it, from --tls-cert. */
static int
load_cert(struct tls *t, const char *path, char *err, size_t errlen)
{
	struct pem p;
	X509 *x;
	int rc, n;

	if ((rc = open_pem("tls-cert", path, &p, err, errlen)) != 0)
		return rc;
	rc = EX_DATAERR;
	if ((x = PEM_read_bio_X509_AUX(p.bio, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "--tls-cert '%s': no PEM certificate in "
		    "it (one starts '-----BEGIN CERTIFICATE-----'; convert DER "
		    "with 'openssl x509 -inform DER -in FILE')", path);
		goto out;
	}
	if (SSL_CTX_use_certificate(t->ctx, x) != 1) {
		snprintf(err, errlen, "--tls-cert '%s': OpenSSL refused the "
		    "certificate: %s", path, ssl_reason());
		X509_free(x);
		goto out;
	}
	check_dates(t, path, x);
	X509_free(x);
	for (n = 2; (x = PEM_read_bio_X509(p.bio, NULL, NULL, NULL)) != NULL;
	    n++)
		if (SSL_CTX_add0_chain_cert(t->ctx, x) != 1) {
			snprintf(err, errlen, "--tls-cert '%s': OpenSSL refused "
			    "certificate %d of the chain: %s", path, n,
			    ssl_reason());
			X509_free(x);
			goto out;
		}
	if (!pem_at_end()) {
		snprintf(err, errlen, "--tls-cert '%s': certificate %d of the "
		    "chain is damaged: %s", path, n, ssl_reason());
		goto out;
	}
	rc = 0;
out:
	close_pem(&p, 0);
	return rc;
}

/* Did OpenSSL refuse a key because it is not the certificate's? */
static int
key_mismatch(void)
{
	unsigned long e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_X509 &&
	    (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
	    ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH);
}

static int
load_key(struct tls *t, const char *path, const char *cert, char *err,
    size_t errlen)
{
	struct pem p;
	EVP_PKEY *key;
	int rc, asked = 0;

	if ((rc = open_pem("tls-key", path, &p, err, errlen)) != 0)
		return rc;
	rc = EX_DATAERR;
	key = PEM_read_bio_PrivateKey(p.bio, NULL, no_passphrase, &asked);
	if (key == NULL && asked)
		snprintf(err, errlen, "--tls-key '%s': the key is encrypted "
		    "and echod asks for no passphrase; decrypt it ('openssl "
		    "pkey -in FILE -out NEW') and protect the file instead "
		    "(mode 0600, or systemd's LoadCredential=)", path);
	else if (key == NULL)
		snprintf(err, errlen, "--tls-key '%s': no PEM private key in it "
		    "(one starts '-----BEGIN PRIVATE KEY-----')", path);
	else if (SSL_CTX_use_PrivateKey(t->ctx, key) != 1 &&
	    !key_mismatch())
		snprintf(err, errlen, "--tls-key '%s': OpenSSL refused the key: "
		    "%s", path, ssl_reason());
	else if (SSL_CTX_check_private_key(t->ctx) != 1)
		snprintf(err, errlen, "--tls-key '%s' does not match the "
		    "certificate in --tls-cert '%s'; give the key the "
		    "certificate was issued for", path, cert);
	else
		rc = 0;
	EVP_PKEY_free(key);
	close_pem(&p, 1);
	return rc;
}

/* --tls-client-ca: clients must present a certificate one of these
 * signed (and say so in the handshake, so clients know which to send). */
static int
load_client_ca(struct tls *t, const char *path, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(t->ctx);
	struct pem p;
	X509 *x;
	int rc, n = 0;

	if ((rc = open_pem("tls-client-ca", path, &p, err, errlen)) != 0)
		return rc;
	rc = EX_DATAERR;
	while ((x = PEM_read_bio_X509(p.bio, NULL, NULL, NULL)) != NULL) {
		n++;
		if (X509_STORE_add_cert(store, x) != 1 ||
		    SSL_CTX_add_client_CA(t->ctx, x) != 1) {
			snprintf(err, errlen, "--tls-client-ca '%s': OpenSSL "
			    "refused certificate %d: %s", path, n,
			    ssl_reason());
			X509_free(x);
			goto out;
		}
		X509_free(x);
	}
	if (!pem_at_end() || n == 0) {
		snprintf(err, errlen, "--tls-client-ca '%s': %s", path, n == 0 ?
		    "no PEM certificate in it (one starts '-----BEGIN "
		    "CERTIFICATE-----')" : "a certificate in it is damaged");
		goto out;
	}
	/* Any CA in the file is an anchor, an intermediate one too. */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE, NULL);
	rc = 0;
out:
	close_pem(&p, 0);
	return rc;
}

static int
new_ctx(struct tls *t, char *err, size_t errlen)
{
	static const unsigned char sid[] = "echod";

	if ((t->ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_session_id_context(t->ctx, sid,
	    sizeof(sid) - 1) != 1) {
		snprintf(err, errlen, "cannot set up TLS: %s", ssl_reason());
		return EX_OSERR;
	}
	/*
	 * A TCP FIN without close_notify ends the client's stream as a
	 * plain half-close does (OpenSSL 3 would make it an error): an echo
	 * has nothing a truncation could forge.
	 */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_clear_mode(t->ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_max_cert_list(t->ctx, TLS_CERT_LIST_MAX);
	SSL_CTX_set_verify_depth(t->ctx, TLS_VERIFY_DEPTH);
	/*
	 * Finite-field groups are off: an ffdhe8192 key share cost echod
	 * 116 ms of CPU per ClientHello, for nothing the client computed.
	 */
	if (SSL_CTX_set1_groups_list(t->ctx, TLS_GROUPS) != 1 ||
	    tls_watch_init(t->ctx) == -1) {
		snprintf(err, errlen, "cannot set up TLS: %s", ssl_reason());
		return EX_OSERR;
	}
	return 0;
}

int
tls_load(const struct config *cfg, struct tls **out, char *err,
    size_t errlen)
{
	struct tls *t;
	int rc;

	*out = NULL;
	if (cfg->tls_cert[0] == '\0')
		return 0;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "cannot set up TLS: out of memory");
		return EX_OSERR;
	}
	ERR_clear_error();
	if ((rc = new_ctx(t, err, errlen)) == 0 &&
	    (rc = load_cert(t, cfg->tls_cert, err, errlen)) == 0 &&
	    (rc = load_key(t, cfg->tls_key, cfg->tls_cert, err,
	    errlen)) == 0 && cfg->tls_client_ca[0] != '\0')
		rc = load_client_ca(t, cfg->tls_client_ca, err, errlen);
	ERR_clear_error();
	if (rc != 0) {
		tls_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

const char *
tls_describe(const struct tls *t)
{
	return t->about;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

struct bufferevent *
tls_accept(struct tls *t, struct event_base *base, int fd,
    struct event *alarm)
{
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(t->ctx)) == NULL)
		return NULL;
	tls_watch(ssl, alarm);
	/*
	 * Not BEV_OPT_CLOSE_ON_FREE: libevent 2.1 then frees the SSL on a
	 * failed set-up and reads it again while cleaning up.  tls_close()
	 * frees both instead.
	 */
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, 0);
	if (bev == NULL) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	/* A client that ends with a TCP FIN, not close_notify, half-closes
	 * as a plain TCP one does: what it sent still comes back. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

enum tls_fail
tls_failure(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e;
	int reason = 0;

	/* libevent queues SSL_ERROR_* codes too: those are not ERR_LIB_SSL. */
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		if (reason == 0 && ERR_GET_LIB(e) == ERR_LIB_SSL)
			reason = ERR_GET_REASON(e);
	return tls_fail_classify(reason, ssl != NULL &&
	    (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER));
}

int
tls_is_v13(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	return ssl != NULL && SSL_version(ssl) == TLS1_3_VERSION;
}

/*
 * Called from inside libevent's callbacks too: libevent holds its own
 * reference to BEV then, and touches neither the SSL nor the fd once our
 * callback returns (2.1.12; bufferevent_openssl.c).  A later libevent that
 * kept a deferred callback across loop turns would break that.
 */
void
tls_close(struct bufferevent *bev, int clean)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	int fd = (int)bufferevent_getfd(bev);

	if (ssl != NULL)
		tls_watch(ssl, NULL);		/* the alarm goes first */
	/* One non-blocking try: the alert is a few bytes. */
	if (clean && ssl != NULL && SSL_is_init_finished(ssl))
		(void)SSL_shutdown(ssl);
	bufferevent_free(bev);
	SSL_free(ssl);
	ERR_clear_error();
	if (fd >= 0)
		close(fd);
}
