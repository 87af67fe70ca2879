#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ia.h"

#define MAX_JOBS	1024
#define MAX_RETRIES	100
#define MIN_TIMEOUT	0.001		/* curl takes milliseconds; 0 means none */
#define MAX_TIMEOUT	86400.0
#define MAX_LINE_CAP	((size_t)1 << 30)
#define MAX_KEY		4096
#define SPACE		" \t\r\n\f\v"

#if defined(__GLIBC__)
#if __GLIBC_PREREQ(2, 25)
#define HAVE_EXPLICIT_BZERO
#endif
#elif defined(__OpenBSD__) || defined(__FreeBSD__)
#define HAVE_EXPLICIT_BZERO
#endif

#define LOOPBACK_HINT	"plain http is allowed only to loopback " \
			"(localhost, 127.0.0.1, [::1]); use https"

/* The shared options: one row each, in the order --help lists them. */
const struct ia_option ia_config_options[] = {
	{ 'j', NULL, "n", "HTTP requests in flight, 1 to 1024 (default 16)", true },
	{ 'q', NULL, NULL, "no progress line", false },
	{ 'v', NULL, NULL, "log each HTTP exchange on stderr, the key redacted", true },
	{ IA_OPT_BASE_URL, "base-url", "url", "the API's URL, instead of "
	    "$INFERENCE_BASE_URL", true },
	{ IA_OPT_API_KEY_FILE, "api-key-file", "file", "the API key's file, "
	    "instead of $INFERENCE_API_KEY", true },
	{ IA_OPT_TIMEOUT, "timeout", "duration", "give up on an HTTP request "
	    "after duration (default 60s)", true },
	{ IA_OPT_RETRIES, "retries", "n", "retry a request at most n times, "
	    "0 to 100 (default 8)", true },
	{ IA_OPT_RATE, "rate", "rate", "at most rate requests a second "
	    "(100, 600/m; auto)", true },
	{ IA_OPT_MAX_LINE, "max-line", "bytes", "the longest input line taken, "
	    "1 to 1G (default 16M)", false },
	{ 'h', NULL, NULL, "print the synopsis and exit", false },
	{ IA_OPT_HELP, "help", NULL, "print this help and exit", false },
	{ 'V', "version", NULL, "print the version and exit", false },
	{ 0 }
};

void
ia_config_init(struct ia_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->jobs = IA_DEFAULT_JOBS;
	cfg->timeout = IA_DEFAULT_TIMEOUT;
	cfg->retries = IA_DEFAULT_RETRIES;
	cfg->max_line = IA_DEFAULT_MAX_LINE;
	cfg->need_key = true;
}

/* A whole decimal number from min to max: no sign, no spaces, no junk. */
static int
whole(const char *s, long min, long max, long *n)
{
	char	*end;
	long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*n = v;
	return 0;
}

/* Bytes, with an optional K, M or G meaning a power of 1024 ("16M"). */
static int
size_arg(const char *s, size_t min, size_t max, size_t *n)
{
	unsigned long long	 v, mult = 1;
	char			*end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1ULL << 10;
		break;
	case 'm': case 'M':
		mult = 1ULL << 20;
		break;
	case 'g': case 'G':
		mult = 1ULL << 30;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > max / mult || v * mult < min)
		return -1;
	*n = (size_t)(v * mult);
	return 0;
}

int
ia_config_rate(const char *s, double *rate)
{
	static const struct { const char *unit; double per; } units[] = {
		{ "", 1 }, { "/s", 1 }, { "/m", 60 }, { "/min", 60 }, { "/h", 3600 },
	};
	char	*end;
	double	 n;
	size_t	 i;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(n) || n <= 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0) {
			if (n / units[i].per > 1e6 || n / units[i].per < 1e-6)
				return -1;
			*rate = n / units[i].per;
			return 0;
		}
	return -1;
}

int
ia_config_option(struct ia_config *cfg, int ch, const char *arg, char *err,
    size_t errlen)
{
	double	 d;
	long	 n;

	switch (ch) {
	case 'j':
		if (whole(arg, 1, MAX_JOBS, &n) == -1) {
			snprintf(err, errlen, "-j: %s: must be a whole number "
			    "from 1 to %d", arg ? arg : "", MAX_JOBS);
			return -1;
		}
		cfg->jobs = (int)n;
		return 1;
	case 'v':
		cfg->verbose++;
		return 1;
	case 'q':
		cfg->quiet = 1;
		return 1;
	case IA_OPT_BASE_URL:
		cfg->base_url_opt = arg;
		return 1;
	case IA_OPT_API_KEY_FILE:
		if (arg == NULL || *arg == '\0') {
			snprintf(err, errlen, "--api-key-file: must name a file");
			return -1;
		}
		cfg->api_key_file = arg;
		return 1;
	case IA_OPT_TIMEOUT:
		if (ia_duration_parse(arg, &d) == -1 || d < MIN_TIMEOUT ||
		    d > MAX_TIMEOUT) {
			snprintf(err, errlen, "--timeout: %s: must be a duration "
			    "from 1ms to 1d (seconds, or with a unit: 500ms, 2m, 1h)",
			    arg ? arg : "");
			return -1;
		}
		cfg->timeout = d;
		return 1;
	case IA_OPT_RETRIES:
		if (whole(arg, 0, MAX_RETRIES, &n) == -1) {
			snprintf(err, errlen, "--retries: %s: must be a whole number "
			    "from 0 to %d", arg ? arg : "", MAX_RETRIES);
			return -1;
		}
		cfg->retries = (int)n;
		return 1;
	case IA_OPT_RATE:
		/* The default, said outright: paced by the server's 429s. */
		if (arg != NULL && strcmp(arg, "auto") == 0) {
			cfg->rate = 0;
			return 1;
		}
		if (ia_config_rate(arg, &cfg->rate) == -1) {
			snprintf(err, errlen, "--rate: %s: must be a number of "
			    "requests above 0, a second or with /s, /m or /h: 100, "
			    "600/m; or auto", arg ? arg : "");
			return -1;
		}
		return 1;
	case IA_OPT_MAX_LINE:
		if (size_arg(arg, 1, MAX_LINE_CAP, &cfg->max_line) == -1) {
			snprintf(err, errlen, "--max-line: %s: must be a size in bytes "
			    "from 1 to 1G (a suffix K, M or G counts in 1024s: 16M)",
			    arg ? arg : "");
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

/* Whether a host as curl gives it back (IPv6 in brackets) is this machine. */
static bool
loopback(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;
	char		 buf[INET6_ADDRSTRLEN + 2];
	size_t		 len;

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	len = strlen(host);
	if (len >= 2 && len < sizeof(buf) && host[0] == '[' && host[len - 1] == ']') {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return false;
	return IN6_IS_ADDR_LOOPBACK(&a6) ||
	    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
}

/*
 * Parse and check a base URL with libcurl's own parser, so that the host
 * judged here is the host curl will connect to.  On success, and when norm
 * is not NULL, curl's normalised form of the URL is returned there.
 */
static int
check_url(const char *url, char **norm, char *err, size_t errlen)
{
	CURLU		*u;
	CURLUcode	 rc;
	char		*scheme = NULL, *host = NULL, *part = NULL, *out = NULL;
	int		 ret = -1;

	if (*url == '\0') {
		snprintf(err, errlen, "the URL is empty");
		return -1;
	}
	if (strpbrk(url, "?#") != NULL) {
		snprintf(err, errlen, "%s: a base URL takes no query or fragment "
		    "(no ? or #)", url);
		return -1;
	}
	if ((u = curl_url()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((rc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		if (rc == CURLUE_OUT_OF_MEMORY)
			snprintf(err, errlen, "out of memory");
		else if (rc == CURLUE_NO_HOST)
			snprintf(err, errlen, "%s: the URL has no host", url);
		else
#if LIBCURL_VERSION_NUM >= 0x075000
			snprintf(err, errlen, "%s: not a URL like "
			    "https://host[:port][/prefix] (%s)", url,
			    curl_url_strerror(rc));
#else
			snprintf(err, errlen, "%s: not a URL like "
			    "https://host[:port][/prefix]", url);
#endif
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		snprintf(err, errlen, "%s: the URL has no scheme", url);
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
		snprintf(err, errlen, "%s: %s URLs are not supported; use https",
		    url, scheme);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0') {
		snprintf(err, errlen, "%s: the URL has no host", url);
		goto out;
	}
	/* Not echoed: it would show the password. */
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
		snprintf(err, errlen, "a base URL must not carry a user name or "
		    "password (the key goes in --api-key-file or INFERENCE_API_KEY)");
		goto out;
	}
	if (strcasecmp(scheme, "http") == 0 && !loopback(host)) {
		snprintf(err, errlen, "%s: " LOOPBACK_HINT, url);
		goto out;
	}
	if (norm != NULL) {
		if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if ((*norm = strdup(out)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	curl_free(out);
	curl_free(part);
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	return ret;
}

int
ia_config_check_url(const char *url, char *err, size_t errlen)
{
	return check_url(url, NULL, err, errlen);
}

/* Clear memory that held a key; a plain memset before free() may be elided. */
static void
wipe(void *p, size_t n)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	static void *(*const volatile memset_v)(void *, int, size_t) = memset;

	memset_v(p, 0, n);
#endif
}

static bool
is_space(char c)
{
	return c != '\0' && strchr(SPACE, c) != NULL;
}

static void
key_free(char *key)
{
	if (key != NULL) {
		wipe(key, strlen(key));
		free(key);
	}
}

/*
 * A key goes into an Authorization header as it is: trim the whitespace a
 * file or a shell leaves around it, and refuse what would break the header.
 * The messages name where the key came from, never the key.
 */
static int
key_set(struct ia_config *cfg, const char *s, size_t len, const char *from,
    char *err, size_t errlen)
{
	size_t	 i;

	while (len > 0 && is_space(s[len - 1]))
		len--;
	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	if (len == 0) {
		snprintf(err, errlen, "%s: the API key is empty", from);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f) {
			snprintf(err, errlen, "%s: the API key contains a space, "
			    "a control character or a non-ASCII byte", from);
			return -1;
		}
	}
	if ((cfg->api_key = strndup(s, len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Read the key from the first line of a file that only its owner can read:
 * a key others can read is a leaked key, so refuse it before reading it, as
 * ssh does.  A pipe (--api-key-file <(pass show ...)) is accepted.
 */
static int
key_file(struct ia_config *cfg, const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		 buf[MAX_KEY + 1], from[PATH_MAX + 32];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, ret = -1;

	snprintf(from, sizeof(from), "--api-key-file %s", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", from);
		goto out;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		snprintf(err, errlen, "%s: readable by %s (mode %04o); make it "
		    "private with: chmod 600 %s", from,
		    (st.st_mode & S_IRGRP) && (st.st_mode & S_IROTH) ?
		    "group and others" : st.st_mode & S_IRGRP ? "group" : "others",
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while (len < sizeof(buf) && memchr(buf, '\n', len) == NULL) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", from, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (memchr(buf, '\n', len) != NULL)
		len = (size_t)((char *)memchr(buf, '\n', len) - buf);
	else if (len == sizeof(buf)) {
		snprintf(err, errlen, "%s: the first line is longer than %d bytes; "
		    "not an API key", from, MAX_KEY);
		goto out;
	}
	ret = key_set(cfg, buf, len, from, err, errlen);
out:
	wipe(buf, sizeof(buf));
	close(fd);
	return ret;
}

/*
 * Settle the base URL and the key from the options, the environment and the
 * key file, so that a tool can refuse to start before doing any I/O.
 */
int
ia_config_finish(struct ia_config *cfg, char *err, size_t errlen)
{
	const char	*url, *from, *env;
	char		 why[512], *norm = NULL;
	size_t		 len;

	free(cfg->base_url);
	cfg->base_url = NULL;
	key_free(cfg->api_key);
	cfg->api_key = NULL;

	if (cfg->base_url_opt != NULL) {
		url = cfg->base_url_opt;
		from = "--base-url";
	} else if ((env = getenv("INFERENCE_BASE_URL")) != NULL && *env != '\0') {
		url = env;
		from = "INFERENCE_BASE_URL";
	} else {
		url = IA_DEFAULT_BASE_URL;
		from = "the default base URL";
	}
	if (check_url(url, &norm, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", from, why);
		return -1;
	}
	len = strlen(norm);
	while (len > 0 && norm[len - 1] == '/')
		norm[--len] = '\0';
	cfg->base_url = norm;

	if (cfg->api_key_file != NULL) {
		if (key_file(cfg, cfg->api_key_file, err, errlen) == -1)
			return -1;
	} else if ((env = getenv("INFERENCE_API_KEY")) != NULL &&
	    (cfg->need_key || env[strspn(env, SPACE)] != '\0')) {
		if (key_set(cfg, env, strlen(env), "INFERENCE_API_KEY", err,
		    errlen) == -1)
			return -1;
	}
	if (cfg->need_key && cfg->api_key == NULL) {
		snprintf(err, errlen, "no API key: set INFERENCE_API_KEY or use "
		    "--api-key-file FILE");
		return -1;
	}
	return 0;
}

void
ia_config_free(struct ia_config *cfg)
{
	key_free(cfg->api_key);
	cfg->api_key = NULL;
	free(cfg->base_url);
	cfg->base_url = NULL;
}
