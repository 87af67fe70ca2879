/*
 * t_config: checks of lib/config.c and lib/option.c, one group per
 * subcommand (url, options, table, key), run from tests/lib-config.bats.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia.h"

static int	 checks;

#define CHECK(c) do {							\
	checks++;							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #c); \
		exit(1);						\
	}								\
} while (0)

/* As CHECK, showing the message the library gave. */
#define CHECK_MSG(c, msg) do {						\
	checks++;							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: failed: %s (message: %s)\n",	\
		    __FILE__, __LINE__, #c, (msg));			\
		exit(1);						\
	}								\
} while (0)

static bool
contains(const char *s, const char *sub)
{
	return s != NULL && strstr(s, sub) != NULL;
}

static int
url_ok(const char *url)
{
	char	 err[512] = "";

	if (ia_config_check_url(url, err, sizeof(err)) == 0)
		return 1;
	if (err[0] == '\0') {
		fprintf(stderr, "%s: refused without a message\n", url);
		exit(1);
	}
	return 0;
}

/* The base URL ia_config_finish() settles on, or NULL with its message. */
static char *
finish_url(const char *opt, const char *env, char *err, size_t errlen)
{
	struct ia_config	 cfg;
	char			*url = NULL;

	if (env != NULL)
		setenv("INFERENCE_BASE_URL", env, 1);
	else
		unsetenv("INFERENCE_BASE_URL");
	ia_config_init(&cfg);
	cfg.need_key = false;
	cfg.base_url_opt = opt;
	err[0] = '\0';
	if (ia_config_finish(&cfg, err, errlen) == 0)
		url = strdup(cfg.base_url);
	ia_config_free(&cfg);
	return url;
}

static void
t_url(void)
{
	char	 err[512], *u;

	CHECK(url_ok("https://api.inference.net"));
	CHECK(url_ok("https://api.inference.net/"));
	CHECK(url_ok("https://api.inference.net:8443/prefix/v2"));
	CHECK(url_ok("HTTPS://Example.COM"));
	CHECK(url_ok("http://127.0.0.1:8080"));
	CHECK(url_ok("http://localhost"));
	CHECK(url_ok("http://LocalHost:9/x"));
	CHECK(url_ok("http://127.5.6.7"));
	CHECK(url_ok("http://[::1]:9"));
	CHECK(url_ok("http://[0:0:0:0:0:0:0:1]/"));

	CHECK(!url_ok("http://example.com"));
	CHECK(!url_ok("http://10.0.0.1"));
	CHECK(!url_ok("http://128.0.0.1"));
	CHECK(!url_ok("http://[::2]"));
	CHECK(!url_ok("http://localhost.example.com"));
	CHECK(!url_ok("http://127.0.0.1.example.com"));
	CHECK(!url_ok("http://localhost\\@example.com"));
	CHECK(!url_ok("ftp://x"));
	CHECK(!url_ok("file:///etc/passwd"));
	CHECK(!url_ok("garbage"));
	CHECK(!url_ok(""));
	CHECK(!url_ok("https://"));
	CHECK(!url_ok("https://h x"));
	CHECK(!url_ok("https://api.inference.net/?a=1"));
	CHECK(!url_ok("https://api.inference.net/?"));
	CHECK(!url_ok("https://api.inference.net/#x"));
	CHECK(!url_ok("https://api.inference.net#"));

	ia_config_check_url("http://example.com", err, sizeof(err));
	CHECK_MSG(strcmp(err, "http://example.com: plain http is allowed only to "
	    "loopback (localhost, 127.0.0.1, [::1]); use https") == 0, err);
	ia_config_check_url("ftp://x", err, sizeof(err));
	CHECK_MSG(contains(err, "ftp://x") && contains(err, "https"), err);
	ia_config_check_url("garbage", err, sizeof(err));
	CHECK_MSG(contains(err, "garbage"), err);
	ia_config_check_url("https://h?a=1", err, sizeof(err));
	CHECK_MSG(contains(err, "query"), err);
	ia_config_check_url("https://user:s3cret@h", err, sizeof(err));
	CHECK_MSG(!contains(err, "s3cret") && contains(err, "password"), err);

	/* ia_config_finish(): where the URL comes from, and its last slash. */
	u = finish_url(NULL, NULL, err, sizeof(err));
	CHECK_MSG(u != NULL && strcmp(u, IA_DEFAULT_BASE_URL) == 0, err);
	free(u);
	u = finish_url("https://api.inference.net/", NULL, err, sizeof(err));
	CHECK_MSG(u != NULL && strcmp(u, "https://api.inference.net") == 0, err);
	free(u);
	u = finish_url("https://h.example/prefix/v1//", NULL, err, sizeof(err));
	CHECK_MSG(u != NULL && strcmp(u, "https://h.example/prefix/v1") == 0, err);
	free(u);
	u = finish_url(NULL, "http://127.0.0.1:8080/", err, sizeof(err));
	CHECK_MSG(u != NULL && strcmp(u, "http://127.0.0.1:8080") == 0, err);
	free(u);
	u = finish_url(NULL, "", err, sizeof(err));
	CHECK_MSG(u != NULL && strcmp(u, IA_DEFAULT_BASE_URL) == 0, err);
	free(u);
	u = finish_url("https://opt.example", "https://env.example", err,
	    sizeof(err));
	CHECK_MSG(u != NULL && strcmp(u, "https://opt.example") == 0, err);
	free(u);
	u = finish_url("http://example.com", NULL, err, sizeof(err));
	CHECK(u == NULL);
	CHECK_MSG(contains(err, "--base-url") &&
	    contains(err, "http://example.com: plain http"), err);
	u = finish_url(NULL, "http://example.com", err, sizeof(err));
	CHECK(u == NULL);
	CHECK_MSG(contains(err, "INFERENCE_BASE_URL") &&
	    contains(err, "http://example.com: plain http"), err);
	u = finish_url("", NULL, err, sizeof(err));
	CHECK_MSG(u == NULL && contains(err, "--base-url"), err);
	unsetenv("INFERENCE_BASE_URL");
}

/* Hand one option to ia_config_option() and expect it to be refused. */
static void
refused(struct ia_config *cfg, int ch, const char *arg, const char *name,
    int line)
{
	char	 err[512] = "";
	int	 rc;

	checks++;
	rc = ia_config_option(cfg, ch, arg, err, sizeof(err));
	if (rc != -1 || !contains(err, name) || !contains(err, arg)) {
		fprintf(stderr, "%s:%d: %s %s: got %d, message \"%s\"\n",
		    __FILE__, line, name, arg, rc, err);
		exit(1);
	}
}

#define REFUSED(ch, arg, name)	refused(&cfg, (ch), (arg), (name), __LINE__)
#define OPT(ch, arg)		ia_config_option(&cfg, (ch), (arg), err, sizeof(err))

static void
t_options(void)
{
	struct ia_config	 cfg;
	char			 err[512];

	ia_config_init(&cfg);
	CHECK(cfg.jobs == IA_DEFAULT_JOBS && cfg.jobs == 16);
	CHECK(cfg.timeout == IA_DEFAULT_TIMEOUT && cfg.timeout == 60.0);
	CHECK(cfg.retries == IA_DEFAULT_RETRIES && cfg.retries == 8);
	CHECK(cfg.max_line == IA_DEFAULT_MAX_LINE && cfg.max_line == 16u << 20);
	CHECK(cfg.need_key);
	CHECK(cfg.api_key == NULL && cfg.base_url == NULL);
	CHECK(cfg.api_key_file == NULL && cfg.base_url_opt == NULL);
	CHECK(cfg.verbose == 0 && cfg.quiet == 0);

	CHECK(OPT('j', "1") == 1 && cfg.jobs == 1);
	CHECK(OPT('j', "1024") == 1 && cfg.jobs == 1024);
	CHECK(OPT('j', "32") == 1 && cfg.jobs == 32);
	REFUSED('j', "0", "-j");
	REFUSED('j', "1025", "-j");
	REFUSED('j', "-1", "-j");
	REFUSED('j', "+4", "-j");
	REFUSED('j', " 4", "-j");
	REFUSED('j', "4x", "-j");
	REFUSED('j', "abc", "-j");
	REFUSED('j', "", "-j");
	REFUSED('j', "99999999999999999999", "-j");
	CHECK(cfg.jobs == 32);
	OPT('j', "0");
	CHECK_MSG(strcmp(err, "-j: 0: must be a whole number from 1 to 1024") == 0,
	    err);

	CHECK(OPT('v', NULL) == 1 && cfg.verbose == 1);
	CHECK(OPT('v', NULL) == 1 && cfg.verbose == 2);
	CHECK(OPT('q', NULL) == 1 && cfg.quiet == 1);

	CHECK(OPT(IA_OPT_BASE_URL, "https://x.example") == 1);
	CHECK(cfg.base_url_opt != NULL &&
	    strcmp(cfg.base_url_opt, "https://x.example") == 0);
	CHECK(OPT(IA_OPT_API_KEY_FILE, "/some/key") == 1);
	CHECK(cfg.api_key_file != NULL &&
	    strcmp(cfg.api_key_file, "/some/key") == 0);
	CHECK(OPT(IA_OPT_API_KEY_FILE, "") == -1 &&
	    contains(err, "--api-key-file"));

	CHECK(OPT(IA_OPT_TIMEOUT, "60") == 1 && cfg.timeout == 60.0);
	CHECK(OPT(IA_OPT_TIMEOUT, "500ms") == 1 && cfg.timeout == 0.5);
	CHECK(OPT(IA_OPT_TIMEOUT, "2m") == 1 && cfg.timeout == 120.0);
	CHECK(OPT(IA_OPT_TIMEOUT, "1.5") == 1 && cfg.timeout == 1.5);
	REFUSED(IA_OPT_TIMEOUT, "0", "--timeout");
	REFUSED(IA_OPT_TIMEOUT, "0s", "--timeout");
	REFUSED(IA_OPT_TIMEOUT, "-1", "--timeout");
	REFUSED(IA_OPT_TIMEOUT, "soon", "--timeout");
	REFUSED(IA_OPT_TIMEOUT, "5x", "--timeout");
	REFUSED(IA_OPT_TIMEOUT, "1e300", "--timeout");
	CHECK(cfg.timeout == 1.5);

	CHECK(OPT(IA_OPT_RETRIES, "0") == 1 && cfg.retries == 0);
	CHECK(OPT(IA_OPT_RETRIES, "100") == 1 && cfg.retries == 100);
	CHECK(OPT(IA_OPT_RETRIES, "3") == 1 && cfg.retries == 3);
	REFUSED(IA_OPT_RETRIES, "101", "--retries");
	REFUSED(IA_OPT_RETRIES, "-1", "--retries");
	REFUSED(IA_OPT_RETRIES, "many", "--retries");
	CHECK(cfg.retries == 3);

	CHECK(OPT(IA_OPT_MAX_LINE, "1") == 1 && cfg.max_line == 1);
	CHECK(OPT(IA_OPT_MAX_LINE, "4K") == 1 && cfg.max_line == 4096);
	CHECK(OPT(IA_OPT_MAX_LINE, "4k") == 1 && cfg.max_line == 4096);
	CHECK(OPT(IA_OPT_MAX_LINE, "1G") == 1 && cfg.max_line == 1u << 30);
	CHECK(OPT(IA_OPT_MAX_LINE, "123456") == 1 && cfg.max_line == 123456);
	CHECK(OPT(IA_OPT_MAX_LINE, "16M") == 1 && cfg.max_line == 16u << 20);
	REFUSED(IA_OPT_MAX_LINE, "0", "--max-line");
	REFUSED(IA_OPT_MAX_LINE, "0K", "--max-line");
	REFUSED(IA_OPT_MAX_LINE, "2G", "--max-line");
	REFUSED(IA_OPT_MAX_LINE, "1.5M", "--max-line");
	REFUSED(IA_OPT_MAX_LINE, "16MB", "--max-line");
	REFUSED(IA_OPT_MAX_LINE, "16T", "--max-line");
	REFUSED(IA_OPT_MAX_LINE, "-1", "--max-line");
	REFUSED(IA_OPT_MAX_LINE, "M", "--max-line");
	REFUSED(IA_OPT_MAX_LINE, "99999999999999999999999", "--max-line");
	CHECK(cfg.max_line == 16u << 20);

	CHECK(OPT('h', NULL) == 0);
	CHECK(OPT('V', NULL) == 0);
	CHECK(OPT('x', NULL) == 0);
	CHECK(OPT('?', NULL) == 0);
	ia_config_free(&cfg);
}

#define KEY	"sk-TESTKEY-d41d8cd98f00b204"

static char	 tmpdir[64];

/* A file holding text, with exactly the given mode whatever the umask. */
static char *
key_file(const char *name, const char *text, mode_t mode)
{
	static char	 path[128];
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) == -1 || close(fd) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	return path;
}

/*
 * Run ia_config_finish() with the given key file or environment key; return
 * its result, with the key taken (or NULL) and the message in err.  Every
 * message is checked for the key, or any part of it.
 */
static int
finish_key(const char *file, const char *env, bool need, char **key,
    char *err, size_t errlen)
{
	struct ia_config	 cfg;
	int			 rc;

	unsetenv("INFERENCE_BASE_URL");
	if (env != NULL)
		setenv("INFERENCE_API_KEY", env, 1);
	else
		unsetenv("INFERENCE_API_KEY");
	ia_config_init(&cfg);
	cfg.need_key = need;
	cfg.api_key_file = file;
	err[0] = '\0';
	rc = ia_config_finish(&cfg, err, errlen);
	CHECK_MSG(!contains(err, KEY) && !contains(err, "TESTKEY") &&
	    !contains(err, "d41d8cd9"), err);
	CHECK_MSG(rc == 0 || err[0] != '\0', "(none)");
	*key = cfg.api_key != NULL ? strdup(cfg.api_key) : NULL;
	ia_config_free(&cfg);
	CHECK(cfg.api_key == NULL && cfg.base_url == NULL);
	return rc;
}

/* The long option name in set, or NULL. */
static const struct option *
long_opt(const struct ia_option_set *set, const char *name)
{
	const struct option	*o;

	for (o = set->longopts; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* What ia_option_help() prints for set, in a string to free. */
static char *
help_text(const struct ia_option_set *set)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		exit(2);
	ia_option_help(set, fp);
	fclose(fp);
	return text;
}

/* lib/option.c over the shared and input tables, and its --help lines. */
static void
t_table(void)
{
	static const struct ia_option mine[] = {
		{ 'q', NULL, NULL, "my -q", false },
		{ 500, "max-line", "n", "my --max-line", false },
		{ 0 }
	};
	static const struct ia_option lines[] = {
		{ 'j', NULL, "n", "in flight", false },
		{ 'V', "version", NULL, "the version", false },
		{ 501, "interval", "duration", "19 wide", false },
		{ 502, "max-interval", "duration", "wider", false },
		{ 0 }
	};
	const struct ia_option	*config[] = { ia_config_options, NULL };
	const struct ia_option	*both[] = { mine, ia_config_options, NULL };
	const struct ia_option	*input[] = { ia_input_options, NULL };
	const struct ia_option	*one[] = { lines, NULL };
	const struct ia_option	*o;
	const struct option	*lo;
	struct ia_option_set	 set;
	struct ia_config	 cfg;
	struct ia_input		 in;
	char			 err[512], *text;
	size_t			 i;

	CHECK(ia_option_merge(&set, config, true) == 0);
	CHECK_MSG(strcmp(set.shortopts, "j:qvhV") == 0, set.shortopts);
	CHECK((lo = long_opt(&set, "base-url")) != NULL &&
	    lo->has_arg == required_argument && lo->val == IA_OPT_BASE_URL);
	CHECK((lo = long_opt(&set, "help")) != NULL &&
	    lo->has_arg == no_argument && lo->val == IA_OPT_HELP);
	CHECK((lo = long_opt(&set, "version")) != NULL && lo->val == 'V');
	CHECK(long_opt(&set, "h") == NULL && long_opt(&set, "j") == NULL);
	ia_option_free(&set);

	/* Without HTTP: -q, --max-line, -h, --help, -V only. */
	CHECK(ia_option_merge(&set, config, false) == 0);
	CHECK_MSG(strcmp(set.shortopts, "qhV") == 0, set.shortopts);
	CHECK(long_opt(&set, "base-url") == NULL && long_opt(&set, "timeout") == NULL);
	CHECK(long_opt(&set, "max-line") != NULL && set.n == 5);
	ia_option_free(&set);

	/* A tool's own row hides the shared one, short or long. */
	CHECK(ia_option_merge(&set, both, false) == 0);
	CHECK_MSG(strcmp(set.shortopts, "qhV") == 0, set.shortopts);
	CHECK(set.n == 5 && set.rows[0] == &mine[0] && set.rows[1] == &mine[1]);
	CHECK((lo = long_opt(&set, "max-line")) != NULL && lo->val == 500);
	ia_option_free(&set);

	/* Every row has its case: ia_config_option takes all but -h, --help, -V. */
	ia_config_init(&cfg);
	for (o = ia_config_options; o->help != NULL; o++) {
		if (o->val == 'h' || o->val == IA_OPT_HELP || o->val == 'V')
			CHECK(ia_config_option(&cfg, o->val, NULL, err, sizeof(err)) == 0);
		else
			CHECK_MSG(ia_config_option(&cfg, o->val, o->arg ? "1" : NULL,
			    err, sizeof(err)) == 1, o->help);
	}
	ia_config_free(&cfg);
	memset(&in, 0, sizeof(in));
	CHECK(ia_option_merge(&set, input, false) == 0);
	CHECK_MSG(strcmp(set.shortopts, "e:m:t") == 0, set.shortopts);
	for (i = 0; i < set.n; i++)
		CHECK_MSG(ia_input_option(&in, set.rows[i]->val, "1", err,
		    sizeof(err)) == 1, set.rows[i]->help);
	ia_option_free(&set);

	/* GNU style: the text in column 23, or under a long option. */
	CHECK(ia_option_merge(&set, one, true) == 0);
	text = help_text(&set);
	CHECK_MSG(strcmp(text,
	    "  -j n                 in flight\n"
	    "  -V, --version        the version\n"
	    "  --interval duration  19 wide\n"
	    "  --max-interval duration\n"
	    "                       wider\n") == 0, text);
	free(text);
	ia_option_free(&set);
}

static void
t_key(void)
{
	char	 err[1024], *key, *f;

	snprintf(tmpdir, sizeof(tmpdir), "%s/t_config.XXXXXX",
	    getenv("TMPDIR") != NULL && *getenv("TMPDIR") != '\0' ?
	    getenv("TMPDIR") : "/tmp");
	if (strlen(tmpdir) > 40 || mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmpdir, strerror(errno));
		exit(1);
	}

	/* From the environment, trimmed. */
	CHECK(finish_key(NULL, KEY, true, &key, err, sizeof(err)) == 0);
	CHECK(key != NULL && strcmp(key, KEY) == 0);
	free(key);
	CHECK(finish_key(NULL, KEY "\n", true, &key, err, sizeof(err)) == 0);
	CHECK(key != NULL && strcmp(key, KEY) == 0);
	free(key);
	CHECK(finish_key(NULL, " " KEY " \r\n", true, &key, err, sizeof(err)) == 0);
	CHECK(key != NULL && strcmp(key, KEY) == 0);
	free(key);

	/* None: a clear message when one is needed, fine when not. */
	CHECK(finish_key(NULL, NULL, true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(strcmp(err, "no API key: set INFERENCE_API_KEY or use "
	    "--api-key-file FILE") == 0, err);
	CHECK(key == NULL);
	CHECK(finish_key(NULL, NULL, false, &key, err, sizeof(err)) == 0);
	CHECK(key == NULL);
	CHECK(finish_key(NULL, "", true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "INFERENCE_API_KEY") && contains(err, "empty"), err);
	CHECK(finish_key(NULL, " \n", true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "INFERENCE_API_KEY"), err);
	CHECK(finish_key(NULL, "", false, &key, err, sizeof(err)) == 0);
	CHECK(key == NULL);
	CHECK(finish_key(NULL, KEY, false, &key, err, sizeof(err)) == 0);
	CHECK(key != NULL && strcmp(key, KEY) == 0);
	free(key);

	/* What would break the Authorization header. */
	CHECK(finish_key(NULL, "sk-TESTKEY d41d8cd9", true, &key, err,
	    sizeof(err)) == -1);
	CHECK_MSG(contains(err, "INFERENCE_API_KEY") && contains(err, "space"), err);
	CHECK(finish_key(NULL, "sk-TESTKEY\r\nX-Evil: d41d8cd9", true, &key, err,
	    sizeof(err)) == -1);
	CHECK_MSG(contains(err, "control"), err);
	CHECK(finish_key(NULL, "sk-TESTKEY\td41d8cd9", true, &key, err,
	    sizeof(err)) == -1);
	CHECK(finish_key(NULL, "sk-TESTKEY\x7f" "d41d8cd9", true, &key, err,
	    sizeof(err)) == -1);
	CHECK(finish_key(NULL, "sk-TESTKEY\xc3\xa9" "d41d8cd9", true, &key, err,
	    sizeof(err)) == -1);

	/* A private key file: first line, trimmed; it beats the environment. */
	f = key_file("key", KEY "\n", 0600);
	CHECK(finish_key(f, NULL, true, &key, err, sizeof(err)) == 0);
	CHECK(key != NULL && strcmp(key, KEY) == 0);
	free(key);
	f = key_file("key", KEY "\r\nsecond line\n", 0400);
	CHECK(finish_key(f, "sk-other", true, &key, err, sizeof(err)) == 0);
	CHECK(key != NULL && strcmp(key, KEY) == 0);
	free(key);
	f = key_file("key", KEY, 0600);
	CHECK(finish_key(f, NULL, false, &key, err, sizeof(err)) == 0);
	CHECK(key != NULL && strcmp(key, KEY) == 0);
	free(key);

	/* Readable by others: refused, saying how to fix it, never read. */
	f = key_file("key", KEY "\n", 0640);
	CHECK(finish_key(f, NULL, true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "chmod 600") && contains(err, f) &&
	    contains(err, "group"), err);
	CHECK(key == NULL);
	f = key_file("key", KEY "\n", 0604);
	CHECK(finish_key(f, KEY, true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "chmod 600") && contains(err, "others"), err);
	CHECK(key == NULL);
	f = key_file("key", KEY "\n", 0644);
	CHECK(finish_key(f, NULL, false, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "chmod"), err);

	/* Empty, blank, missing, a directory, too long, bad bytes. */
	f = key_file("key", "", 0600);
	CHECK(finish_key(f, KEY, true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "--api-key-file") && contains(err, "empty"), err);
	f = key_file("key", " \r\n" KEY "\n", 0600);
	CHECK(finish_key(f, NULL, false, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "empty"), err);
	f = key_file("key", "sk-TESTKEY d41d8cd9\n", 0600);
	CHECK(finish_key(f, NULL, true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "--api-key-file") && contains(err, "space"), err);
	f = key_file("key", "sk-TESTKEY\001d41d8cd9\n", 0600);
	CHECK(finish_key(f, NULL, true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "control"), err);
	unlink(f);
	CHECK(finish_key(f, KEY, true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, f) && contains(err, strerror(ENOENT)), err);
	CHECK(finish_key(tmpdir, NULL, true, &key, err, sizeof(err)) == -1);
	CHECK_MSG(contains(err, "directory"), err);
	{
		char	 big[6000];

		memset(big, 'k', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		f = key_file("key", big, 0600);
		CHECK(finish_key(f, NULL, true, &key, err, sizeof(err)) == -1);
		CHECK_MSG(contains(err, "longer"), err);
	}
	unlink(f);

	/* A bad base URL stops finish before the key is looked at. */
	{
		struct ia_config	 cfg;

		unsetenv("INFERENCE_API_KEY");
		ia_config_init(&cfg);
		cfg.base_url_opt = "http://example.com";
		CHECK(ia_config_finish(&cfg, err, sizeof(err)) == -1);
		CHECK_MSG(contains(err, "plain http"), err);
		ia_config_free(&cfg);
	}
	rmdir(tmpdir);
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: t_config url | options | table | key\n");
		return 2;
	}
	if (strcmp(argv[1], "url") == 0)
		t_url();
	else if (strcmp(argv[1], "options") == 0)
		t_options();
	else if (strcmp(argv[1], "table") == 0)
		t_table();
	else if (strcmp(argv[1], "key") == 0)
		t_key();
	else {
		fprintf(stderr, "t_config: %s: unknown test\n", argv[1]);
		return 2;
	}
	printf("t_config: %d checks passed\n", checks);
	return 0;
}
