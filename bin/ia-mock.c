/*
 * ia-mock: a local simulator of the inference.net Asynchronous Inference API
 * with fault injection, for tests, demos, benchmarks and offline work.
 *
 * This file reads the options and runs the server until a signal.  All state
 * sits in one store behind one mutex; a generation's state is a function of
 * the clock (it is never advanced by a timer), so a GET costs a lookup and a
 * print.  See mock/mock.h for the parts.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock/mock.h"

struct mock_opt mock_opt = {
	.complete_min = 1, .complete_max = 3, .group_delay = 0.5,
	.max_generations = 1000000,
};

/* Print a usage word, starting a new line under the first when it is full. */
static int
usage_word(FILE *fp, int col, const char *word)
{
	if (col + 1 + (int)strlen(word) > 79) {
		fputs("\n              ", fp);
		col = 14;
	}
	return col + fprintf(fp, " %s", word);
}

/* "usage: ia-mock ...": the synopsis, its fault options from the table. */
static void
put_usage(FILE *fp)
{
	static const char *const head[] = { "[-hVv]", "[-b addr]", "[-p port]",
	    "[--port-file file]", "[--key key]", "[--models list]",
	    "[--complete-after min[,max]]", "[--group-delay sec]",
	    "[--fail-rate p]", NULL };
	static const char *const tail[] = { "[--redirect-to url]",
	    "[--latency ms]", "[--seed n]", "[--threads n]",
	    "[--max-generations n]", "[--rate-limit n]", NULL };
	const char *const	*w;
	const struct fault	*f;
	char			 word[64];
	int			 col;

	col = fprintf(fp, "usage: ia-mock");
	for (w = head; *w != NULL; w++)
		col = usage_word(fp, col, *w);
	for (f = mock_faults; f->option != NULL; f++) {
		snprintf(word, sizeof(word), "[--%s p]", f->option);
		col = usage_word(fp, col, word);
		if (f->kinds_option != NULL) {
			snprintf(word, sizeof(word), "[--%s kind,...]", f->kinds_option);
			col = usage_word(fp, col, word);
		}
		if (f->routes_option != NULL) {
			snprintf(word, sizeof(word), "[--%s get|post|all]",
			    f->routes_option);
			col = usage_word(fp, col, word);
		}
	}
	for (w = tail; *w != NULL; w++)
		col = usage_word(fp, col, *w);
	fputc('\n', fp);
}

static void __attribute__((noreturn))
usage(int status)
{
	put_usage(status ? stderr : stdout);
	exit(status);
}

static double
rate(const char *s, const char *name)
{
	char	*end;
	double	 p;

	errno = 0;
	p = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(p >= 0 && p <= 1))
		errx(IA_EXIT_USAGE, "--%s: %s: must be a probability from 0 to 1",
		    name, s);
	return p;
}

static unsigned long long
number(const char *s, const char *name, unsigned long long max)
{
	char			*end;
	unsigned long long	 n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || n > max)
		errx(IA_EXIT_USAGE, "%s: %s: must be a whole number from 0 to %llu",
		    name, s, max);
	return n;
}

static double
seconds(const char *s, const char *name)
{
	double	 d;

	if (ia_duration_parse(s, &d) == -1 || d > 30 * 86400.0)
		errx(IA_EXIT_USAGE, "%s: %s: not a duration (seconds, or with a unit: "
		    "500ms, 2m, 1h)", name, s);
	return d;
}

enum {
	O_PORT_FILE = 256, O_KEY, O_MODELS, O_COMPLETE, O_GROUP_DELAY, O_FAIL,
	O_LATENCY, O_SEED, O_THREADS, O_MAX_GENS, O_REDIRECT_TO, O_RATE_LIMIT,
	O_HELP,
	O_FAULT		/* O_FAULT + 3 * i + O_RATE, O_KINDS or O_ROUTES:
			   the options of mock_faults[i] */
};

enum { O_RATE, O_KINDS, O_ROUTES };

/*
 * The options, in the order of the synopsis: these, the options of each
 * fault of the table (fault_options()), then the tail.
 */
static const struct ia_option head_options[] = {
	{ 'b', NULL, "addr", "listen on addr (default 127.0.0.1)", false },
	{ 'p', NULL, "port", "listen on port, 0 for a free one (default 8080)",
	    false },
	{ O_PORT_FILE, "port-file", "file", "once listening, write the port to "
	    "file", false },
	{ O_KEY, "key", "key", "accept only key as the bearer token", false },
	{ O_MODELS, "models", "list", "serve only these models, comma-separated",
	    false },
	{ O_COMPLETE, "complete-after", "min[,max]", "seconds from submission "
	    "to a final state (default 1,3)", false },
	{ O_GROUP_DELAY, "group-delay", "sec", "how long a new group answers 404 "
	    "(default 0.5)", false },
	{ O_FAIL, "fail-rate", "p", "share of generations that end Failed",
	    false },
	{ 0 }
};

static const struct ia_option tail_options[] = {
	{ O_REDIRECT_TO, "redirect-to", "url", "where redirect garbage "
	    "points (default: its own hosts)", false },
	{ O_LATENCY, "latency", "ms", "delay every answer by ms", false },
	{ O_SEED, "seed", "n", "seed every random draw (default: from the clock)",
	    false },
	{ O_THREADS, "threads", "n", "answer on n threads (default: one per "
	    "processor)", false },
	{ O_MAX_GENS, "max-generations", "n", "hold at most n generations "
	    "(default 1000000)", false },
	{ O_RATE_LIMIT, "rate-limit", "n", "at most n submissions a second, "
	    "429 above", false },
	{ 'v', NULL, NULL, "log a line per request on stderr", false },
	{ 'h', NULL, NULL, "print the synopsis and exit", false },
	{ O_HELP, "help", NULL, "print this help and exit", false },
	{ 'V', "version", NULL, "print the version and exit", false },
	{ 0 }
};

/*
 * For each fault in the table its rate, and the options that pick its kinds
 * and its routes when it has them, each with its --help line from the row.
 */
static struct ia_option *
fault_options(void)
{
	struct ia_option	*o;
	size_t			 n = 0, nf, i;

	for (nf = 0; mock_faults[nf].option != NULL; nf++)
		;
	if ((o = calloc(3 * nf + 1, sizeof(*o))) == NULL)
		err(IA_EXIT_USAGE, NULL);
	for (i = 0; i < nf; i++) {
		o[n].val = O_FAULT + 3 * (int)i + O_RATE;
		o[n].name = mock_faults[i].option;
		o[n].arg = "p";
		o[n++].help = mock_faults[i].help != NULL ? mock_faults[i].help :
		    "share of requests given this fault";
		if (mock_faults[i].kinds_option != NULL) {
			o[n].val = O_FAULT + 3 * (int)i + O_KINDS;
			o[n].name = mock_faults[i].kinds_option;
			o[n].arg = "kind,...";
			o[n++].help = mock_faults[i].kinds_help != NULL ?
			    mock_faults[i].kinds_help : "the kinds drawn";
		}
		if (mock_faults[i].routes_option != NULL) {
			o[n].val = O_FAULT + 3 * (int)i + O_ROUTES;
			o[n].name = mock_faults[i].routes_option;
			o[n].arg = "get|post|all";
			o[n++].help = mock_faults[i].routes_help != NULL ?
			    mock_faults[i].routes_help : "the routes hit";
		}
	}
	return o;
}

/* --help: the synopsis, then a line for each option; exit 0. */
static void __attribute__((noreturn))
help(const struct ia_option_set *opts)
{
	put_usage(stdout);
	putchar('\n');
	ia_option_help(opts, stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(IA_EXIT_USAGE, "stdout");
	exit(0);
}

/* A fault's option: its rate, its kinds or its routes. */
static void
fault_option(int ch, const char *arg)
{
	struct fault	*f = &mock_faults[(ch - O_FAULT) / 3];
	const char	*sep = "";
	char		 words[256] = "";
	unsigned	 i;

	switch ((ch - O_FAULT) % 3) {
	case O_RATE:
		f->rate = rate(arg, f->option);
		break;
	case O_KINDS:
		if (mock_fault_kinds(f, arg) == 0)
			break;
		for (i = 0; i < FAULT_KINDS && f->kinds[i].name != NULL; i++) {
			strncat(words, sep, sizeof(words) - strlen(words) - 1);
			strncat(words, f->kinds[i].word, sizeof(words) - strlen(words) - 1);
			sep = ", ";
		}
		errx(IA_EXIT_USAGE, "--%s: %s: must be all, or kinds separated by "
		    "commas: %s", f->kinds_option, arg, words);
	default:
		if (mock_fault_routes(f, arg) == -1)
			errx(IA_EXIT_USAGE, "--%s: %s: must be get, post or all",
			    f->routes_option, arg);
	}
}

/* --complete-after min[,max] */
static void
complete_after(const char *s)
{
	char	*arg, *comma;

	if ((arg = strdup(s)) == NULL)
		err(IA_EXIT_USAGE, NULL);
	if ((comma = strchr(arg, ',')) != NULL) {
		*comma = '\0';
		mock_opt.complete_max = seconds(comma + 1, "--complete-after");
	}
	mock_opt.complete_min = seconds(arg, "--complete-after");
	free(arg);
	if (comma == NULL)
		mock_opt.complete_max = mock_opt.complete_min;
	if (mock_opt.complete_max < mock_opt.complete_min)
		errx(IA_EXIT_USAGE, "--complete-after: MAX is less than MIN");
	if (mock_opt.complete_max > 49 * 86400.0)
		errx(IA_EXIT_USAGE, "--complete-after: at most 49 days");
}

/* File-wide, so that they outlive an exit from main (-V, a usage error). */
static struct ia_option		*faults;
static struct ia_option_set	 opts;

int
main(int argc, char *argv[])
{
	const char		*bind_addr = "127.0.0.1", *port = "8080";
	const char		*port_file = NULL;
	struct addrinfo		 hints, *ai;
	const struct ia_option	*tables[4];
	struct fault		*f;
	sigset_t		 sigs;
	double			 sum;
	unsigned		 bound;
	long			 nproc;
	int			 ch, sig, e;

	argv[0] = (char *)"ia-mock";	/* getopt's and err's messages name the tool */
	mock_opt.seed = mock_mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
	    (uint64_t)mock_now_us());
	nproc = sysconf(_SC_NPROCESSORS_ONLN);
	mock_opt.threads = nproc > 0 ? (unsigned)nproc : 2;
	tables[0] = head_options;
	tables[1] = faults = fault_options();
	tables[2] = tail_options;
	tables[3] = NULL;
	if (ia_option_merge(&opts, tables, false) == -1)
		err(IA_EXIT_USAGE, NULL);
	while ((ch = getopt_long(argc, argv, opts.shortopts, opts.longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b':
			bind_addr = optarg;
			break;
		case 'p':
			number(optarg, "-p", 65535);
			port = optarg;
			break;
		case O_PORT_FILE:
			port_file = optarg;
			break;
		case O_KEY:
			if (*optarg == '\0')
				errx(IA_EXIT_USAGE, "--key: must not be empty");
			mock_opt.key = optarg;
			break;
		case O_MODELS:
			mock_opt.models = optarg;
			break;
		case O_COMPLETE:
			complete_after(optarg);
			break;
		case O_GROUP_DELAY:
			mock_opt.group_delay = seconds(optarg, "--group-delay");
			break;
		case O_FAIL:
			mock_opt.fail_rate = rate(optarg, "fail-rate");
			break;
		case O_LATENCY:
			mock_opt.latency_ms = (unsigned)number(optarg, "--latency", 3600000);
			break;
		case O_SEED:
			mock_opt.seed = number(optarg, "--seed", ULLONG_MAX);
			break;
		case O_THREADS:
			mock_opt.threads = (unsigned)number(optarg, "--threads", 256);
			if (mock_opt.threads == 0)
				errx(IA_EXIT_USAGE, "--threads: must be at least 1");
			break;
		case O_MAX_GENS:
			mock_opt.max_generations = (size_t)number(optarg,
			    "--max-generations", (unsigned long long)UINT32_MAX);
			break;
		case O_REDIRECT_TO:
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0)
				errx(IA_EXIT_USAGE, "--redirect-to: %s: must be an "
				    "http:// or https:// URL", optarg);
			mock_opt.redirect_to = optarg;
			break;
		case O_RATE_LIMIT:
			mock_opt.rate_limit = (unsigned)number(optarg, "--rate-limit",
			    1000000);
			break;
		case 'v':
			mock_opt.verbose = 1;
			break;
		case 'V':
			printf("ia-mock %s\n", IA_VERSION);
			return 0;
		case 'h':
			usage(0);
		case O_HELP:
			help(&opts);
		default:
			if (ch < O_FAULT)
				usage(IA_EXIT_USAGE);
			fault_option(ch, optarg);
		}
	}
	ia_option_free(&opts);
	free(faults);
	if (optind != argc)
		usage(IA_EXIT_USAGE);
	for (f = mock_faults, sum = 0; f->option != NULL; f++)
		sum += f->rate;
	if (sum > 1)
		errx(IA_EXIT_USAGE, "the fault rates add up to more than 1");

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(bind_addr, port, &hints, &ai)) != 0)
		errx(IA_EXIT_USAGE, "-b %s: %s", bind_addr, gai_strerror(e));

	/* Signals go to the main thread only: block them before MHD's threads start. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (mock_server_start(ai, &bound) == -1)
		errx(IA_EXIT_USAGE, "cannot listen on %s port %s", bind_addr, port);
	freeaddrinfo(ai);
	mock_opt.port = bound;
	if (port_file != NULL && mock_write_port_file(port_file, bound) == -1)
		err(IA_EXIT_USAGE, "--port-file %s", port_file);
	if (mock_opt.verbose)
		fprintf(stderr, "ia-mock: listening on %s port %u\n", bind_addr, bound);

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	mock_server_stop();
	return 0;
}
