/* Check suite for tls_fail.c: OpenSSL's reasons, folded. */
#include <openssl/ssl.h>
#include <string.h>

#include "echod/tls_fail.h"
#include "unit.h"

START_TEST(test_reasons_fold_into_what_an_operator_acts_on)
{
	ck_assert_int_eq(tls_fail_classify(0, 0), TLS_FAIL_CLOSED);
	ck_assert_int_eq(tls_fail_classify(SSL_R_WRONG_VERSION_NUMBER, 0),
	    TLS_FAIL_NOT_TLS);
	ck_assert_int_eq(tls_fail_classify(SSL_R_HTTP_REQUEST, 0),
	    TLS_FAIL_NOT_TLS);
	ck_assert_int_eq(tls_fail_classify(SSL_R_UNSUPPORTED_PROTOCOL, 0),
	    TLS_FAIL_VERSION);
	ck_assert_int_eq(tls_fail_classify(SSL_R_NO_SHARED_CIPHER, 0),
	    TLS_FAIL_VERSION);
	ck_assert_int_eq(tls_fail_classify(SSL_R_NO_SUITABLE_KEY_SHARE, 0),
	    TLS_FAIL_VERSION);			/* ffdhe only, say */
	ck_assert_int_eq(tls_fail_classify(SSL_R_CERTIFICATE_VERIFY_FAILED, 0),
	    TLS_FAIL_CLIENT_CERT);
	ck_assert_int_eq(tls_fail_classify(
	    SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE, 0), TLS_FAIL_CLIENT_CERT);
	ck_assert_int_eq(tls_fail_classify(SSL_R_EXCESSIVE_MESSAGE_SIZE, 1),
	    TLS_FAIL_CLIENT_CERT);
	ck_assert_int_eq(tls_fail_classify(SSL_R_EXCESSIVE_MESSAGE_SIZE, 0),
	    TLS_FAIL_PROTOCOL);
	ck_assert_int_eq(tls_fail_classify(SSL_R_TLSV1_ALERT_UNKNOWN_CA, 0),
	    TLS_FAIL_SERVER_CERT);
	ck_assert_int_eq(tls_fail_classify(SSL_R_BAD_RECORD_TYPE, 0),
	    TLS_FAIL_PROTOCOL);
}
END_TEST

START_TEST(test_every_kind_has_a_label_and_a_text)
{
	int i, j;

	for (i = 0; i < TLS_FAIL_N; i++) {
		const char *label = tls_fail_label((enum tls_fail)i);

		ck_assert_uint_gt(strlen(tls_fail_text((enum tls_fail)i)), 10);
		/* A Prometheus label value: lower case and underscores. */
		ck_assert_uint_eq(strspn(label, "abcdefghijklmnopqrstuvwxyz_"),
		    strlen(label));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(label,
			    tls_fail_label((enum tls_fail)j));
	}
	ck_assert_str_eq(tls_fail_label(TLS_FAIL_N), "protocol");
}
END_TEST

int
main(void)
{
	return UNIT_RUN("tls_fail",
	    test_reasons_fold_into_what_an_operator_acts_on,
	    test_every_kind_has_a_label_and_a_text);
}
