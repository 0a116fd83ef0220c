/*
 * llm_server: the scripted LLM test double. Listens on 127.0.0.1 only, on a
 * free port (or --port N), and speaks two wire formats:
 *
 *   POST .../chat/completions   OpenAI-compatible chat completions
 *   POST .../messages           Anthropic messages
 *
 * Usage: llm_server --script FILE [--log FILE] [--port-file FILE] [--port N]
 *
 * The port is written as "PORT\n" to --port-file (atomically: a temp file
 * renamed into place, so a reader never sees half of it), or to stdout when
 * no port file is given. SIGTERM or SIGINT stops the server cleanly.
 *
 * Script: a JSON array of steps. Each request to one of the two endpoints
 * consumes the next step, in order of arrival, whatever the endpoint
 * (concurrent requests take steps in the order the server finishes reading
 * their bodies). When the steps run out the answer is HTTP 400 with the
 * message "llm_server: script exhausted", which clients do not retry.
 *
 *   {"text": "..."}                    200, the text as the completion
 *     optional: "finish": "stop"|"length"|...  (default "stop"; Anthropic
 *               answers map "length" to stop_reason "max_tokens" and
 *               "stop" to "end_turn")
 *               "prompt_tokens": N, "completion_tokens": N  (default: a
 *               deterministic estimate, body bytes / 4 and text bytes / 4 + 1)
 *   {"fault": "429", "retry_after": 1} an HTTP error status given as a
 *               string (any 3-digit code), with a provider-style error body
 *   {"status": 401, "message": "..."}  the same, with the number as a number
 *               and an optional message
 *   {"body": "...", "status": 200}     exactly this body (status default 200)
 *   {"fault": "slow", "delay_s": 5, "text": "..."}  waits, then answers as
 *               a text step ("delay_s" works on any step)
 *   {"fault": "malformed"}             200 with a body that is not JSON
 *   {"fault": "truncated_body"}        200 whose Content-Length promises more
 *               than is sent before the connection is closed
 *   {"fault": "drop"}                  closes the connection, no response
 *   {"fault": "length", "text": "..."} 200 with finish_reason "length"
 *               (stop_reason "max_tokens")
 *   "retry_after": N on any step adds a Retry-After: N header.
 *
 * Every response carries "Connection: close", so each request arrives on a
 * fresh connection and consumes exactly one step (curl would otherwise
 * resend a request silently when a reused connection is dropped).
 *
 * Log (--log): one JSON object per line for every request received, written
 * when its body is complete:
 *   {"seq": 1, "method": "POST", "path": "/v1/chat/completions",
 *    "headers": {"authorization": "Bearer ...", ...}, "body": "<raw body>",
 *    "step": 0, "fault": "429"}
 * Header names are lower-cased; values and the body are kept verbatim (the
 * log holds whatever auth header arrived: tests check it). "step" is the
 * script index that answered, -1 when the script was exhausted or the path
 * unknown.
 */
#include <errno.h>
#include <ctype.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "base/buf.h"

#define SERVER_BODY_MAX ((size_t)64 << 20)

enum wire { WIRE_OPENAI, WIRE_ANTHROPIC, WIRE_UNKNOWN };

struct server {
	cJSON *script;
	int next_step;
	int seq;
	FILE *log;
	pthread_mutex_t lock;
	volatile sig_atomic_t stopping;
};

static struct server srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct conn {
	struct buf body;
	cJSON *headers;
};

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	cJSON *obj = cls;
	char name[256];
	size_t i;

	(void)kind;
	for (i = 0; key[i] && i < sizeof(name) - 1; i++)
		name[i] = (char)tolower((unsigned char)key[i]);
	name[i] = '\0';
	cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
	cJSON_AddStringToObject(obj, name, value ? value : "");
	return MHD_YES;
}

/* Take the next step (a borrowed pointer, NULL when exhausted). */
static const cJSON *take_step(int *index)
{
	const cJSON *step = NULL;

	pthread_mutex_lock(&srv.lock);
	*index = -1;
	if (srv.next_step < cJSON_GetArraySize(srv.script)) {
		*index = srv.next_step++;
		step = cJSON_GetArrayItem(srv.script, *index);
	}
	pthread_mutex_unlock(&srv.lock);
	return step;
}

static void log_request(const char *method, const char *url, struct conn *cn, int step,
                        const char *fault)
{
	cJSON *line;
	char *s;

	if (!srv.log)
		return;
	line = cJSON_CreateObject();
	pthread_mutex_lock(&srv.lock);
	cJSON_AddNumberToObject(line, "seq", ++srv.seq);
	cJSON_AddStringToObject(line, "method", method);
	cJSON_AddStringToObject(line, "path", url);
	cJSON_AddItemReferenceToObject(line, "headers", cn->headers);
	cJSON_AddStringToObject(line, "body", buf_str(&cn->body));
	cJSON_AddNumberToObject(line, "step", step);
	if (fault)
		cJSON_AddStringToObject(line, "fault", fault);
	s = cJSON_PrintUnformatted(line);
	if (s) {
		fprintf(srv.log, "%s\n", s);
		fflush(srv.log);
	}
	pthread_mutex_unlock(&srv.lock);
	free(s);
	cJSON_Delete(line);
}

static void sleep_interruptible(double s)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	double slept = 0;

	while (slept < s && !srv.stopping) {
		nanosleep(&ts, NULL);
		slept += 0.02;
	}
}

static enum MHD_Result send_body(struct MHD_Connection *c, unsigned status, const char *body,
                                 double retry_after)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char ra[32];

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	/* One request per connection: a client never reuses a connection, so
	 * curl cannot silently resend a request after a "drop" and every
	 * request consumes exactly one step. */
	MHD_add_response_header(r, "Connection", "close");
	if (retry_after >= 0) {
		snprintf(ra, sizeof(ra), "%g", retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *default_message(unsigned status)
{
	switch (status) {
	case 400:
		return "Bad request";
	case 401:
		return "Incorrect API key provided";
	case 403:
		return "Forbidden";
	case 404:
		return "The model does not exist or you do not have access to it";
	case 429:
		return "Rate limit reached, please retry later";
	default:
		return status >= 500 ? "The server had an error while processing your request"
		                     : "Error";
	}
}

static enum MHD_Result send_error(struct MHD_Connection *c, enum wire w, unsigned status,
                                  const char *msg, double retry_after)
{
	cJSON *root = cJSON_CreateObject(), *e;
	enum MHD_Result ret;
	char *s;

	if (w == WIRE_ANTHROPIC)
		cJSON_AddStringToObject(root, "type", "error");
	e = cJSON_AddObjectToObject(root, "error");
	cJSON_AddStringToObject(e, "type",
	                        status == 401   ? "authentication_error"
	                        : status == 429 ? "rate_limit_error"
	                        : status >= 500 ? "api_error"
	                                        : "invalid_request_error");
	cJSON_AddStringToObject(e, "message", msg ? msg : default_message(status));
	s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	ret = send_body(c, status, s ? s : "{}", retry_after);
	free(s);
	return ret;
}

/* The model named in the request, echoed back ("unknown" when absent). */
static char *request_model(const struct buf *body)
{
	cJSON *req = cJSON_ParseWithLength(body->data, body->len);
	const cJSON *m = req ? cJSON_GetObjectItemCaseSensitive(req, "model") : NULL;
	char *r = strdup(cJSON_IsString(m) ? m->valuestring : "unknown");

	cJSON_Delete(req);
	return r;
}

static char *completion_json(enum wire w, const struct buf *reqbody, const cJSON *step,
                             const char *finish, int seq)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(step, "text");
	const char *text = cJSON_IsString(t) ? t->valuestring : "";
	const cJSON *pt = cJSON_GetObjectItemCaseSensitive(step, "prompt_tokens");
	const cJSON *ct = cJSON_GetObjectItemCaseSensitive(step, "completion_tokens");
	double ptok = cJSON_IsNumber(pt) ? pt->valuedouble : (double)(reqbody->len / 4);
	double ctok = cJSON_IsNumber(ct) ? ct->valuedouble : (double)(strlen(text) / 4 + 1);
	char *model = request_model(reqbody);
	cJSON *root = cJSON_CreateObject(), *arr, *o, *u;
	char id[64];
	char *s;

	if (w == WIRE_OPENAI) {
		snprintf(id, sizeof(id), "chatcmpl-test-%d", seq);
		cJSON_AddStringToObject(root, "id", id);
		cJSON_AddStringToObject(root, "object", "chat.completion");
		cJSON_AddNumberToObject(root, "created", 0);
		cJSON_AddStringToObject(root, "model", model);
		arr = cJSON_AddArrayToObject(root, "choices");
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		cJSON_AddNumberToObject(o, "index", 0);
		u = cJSON_AddObjectToObject(o, "message");
		cJSON_AddStringToObject(u, "role", "assistant");
		cJSON_AddStringToObject(u, "content", text);
		cJSON_AddStringToObject(o, "finish_reason", finish);
		u = cJSON_AddObjectToObject(root, "usage");
		cJSON_AddNumberToObject(u, "prompt_tokens", ptok);
		cJSON_AddNumberToObject(u, "completion_tokens", ctok);
		cJSON_AddNumberToObject(u, "total_tokens", ptok + ctok);
	} else {
		snprintf(id, sizeof(id), "msg_test_%d", seq);
		cJSON_AddStringToObject(root, "id", id);
		cJSON_AddStringToObject(root, "type", "message");
		cJSON_AddStringToObject(root, "role", "assistant");
		cJSON_AddStringToObject(root, "model", model);
		arr = cJSON_AddArrayToObject(root, "content");
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "type", "text");
		cJSON_AddStringToObject(o, "text", text);
		cJSON_AddStringToObject(root, "stop_reason",
		                        !strcmp(finish, "length") ? "max_tokens"
		                        : !strcmp(finish, "stop") ? "end_turn"
		                                                  : finish);
		cJSON_AddNullToObject(root, "stop_sequence");
		u = cJSON_AddObjectToObject(root, "usage");
		cJSON_AddNumberToObject(u, "input_tokens", ptok);
		cJSON_AddNumberToObject(u, "output_tokens", ctok);
	}
	s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	free(model);
	return s;
}

/* A body that promises `len` bytes and delivers half before failing. */
struct partial {
	char *data;
	size_t len;
};

static ssize_t partial_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct partial *p = cls;
	size_t half = p->len / 2, n;

	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = half - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(out, p->data + pos, n);
	return (ssize_t)n;
}

static void partial_free(void *cls)
{
	struct partial *p = cls;

	free(p->data);
	free(p);
}

static enum MHD_Result send_truncated(struct MHD_Connection *c, char *body)
{
	struct partial *p = malloc(sizeof(*p));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!p) {
		free(body);
		return MHD_NO;
	}
	p->data = body;
	p->len = strlen(body);
	r = MHD_create_response_from_callback(p->len, 1024, partial_reader, p, partial_free);
	if (!r) {
		partial_free(p);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Connection", "close");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer(struct MHD_Connection *c, const char *method, const char *url,
                              struct conn *cn)
{
	enum wire w = ends_with(url, "/chat/completions") ? WIRE_OPENAI
	              : ends_with(url, "/messages")       ? WIRE_ANTHROPIC
	                                                  : WIRE_UNKNOWN;
	const cJSON *step, *v;
	const char *fault = NULL, *finish = "stop";
	double retry_after = -1, delay = 0;
	unsigned status = 0;
	int index, seq;
	char *s;

	if (strcmp(method, "POST") || w == WIRE_UNKNOWN) {
		log_request(method, url, cn, -1, NULL);
		return send_error(c, WIRE_OPENAI, 404, "llm_server: unknown endpoint", -1);
	}
	step = take_step(&index);
	if (!step) {
		log_request(method, url, cn, -1, NULL);
		return send_error(c, w, 400, "llm_server: script exhausted", -1);
	}
	v = cJSON_GetObjectItemCaseSensitive(step, "fault");
	if (cJSON_IsString(v))
		fault = v->valuestring;
	log_request(method, url, cn, index, fault);
	seq = index + 1;

	v = cJSON_GetObjectItemCaseSensitive(step, "retry_after");
	if (cJSON_IsNumber(v))
		retry_after = v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(step, "delay_s");
	if (cJSON_IsNumber(v))
		delay = v->valuedouble;
	v = cJSON_GetObjectItemCaseSensitive(step, "status");
	if (cJSON_IsNumber(v))
		status = (unsigned)v->valueint;
	v = cJSON_GetObjectItemCaseSensitive(step, "finish");
	if (cJSON_IsString(v))
		finish = v->valuestring;
	if (fault && isdigit((unsigned char)fault[0]))
		status = (unsigned)atoi(fault);
	if (fault && !strcmp(fault, "length"))
		finish = "length";
	if (fault && !strcmp(fault, "slow") && delay <= 0)
		delay = 5;
	if (delay > 0)
		sleep_interruptible(delay);
	if (fault && !strcmp(fault, "drop"))
		return MHD_NO; /* MHD closes the connection without answering */
	if (fault && !strcmp(fault, "malformed"))
		return send_body(c, MHD_HTTP_OK,
		                 "{\"choices\": [{\"message\": {\"content\": \"unterminated",
		                 retry_after);
	v = cJSON_GetObjectItemCaseSensitive(step, "body");
	if (cJSON_IsString(v))
		return send_body(c, status ? status : MHD_HTTP_OK, v->valuestring, retry_after);
	if (status && (status < 200 || status >= 300)) {
		v = cJSON_GetObjectItemCaseSensitive(step, "message");
		return send_error(c, w, status, cJSON_IsString(v) ? v->valuestring : NULL,
		                  retry_after);
	}
	s = completion_json(w, &cn->body, step, finish, seq);
	if (!s)
		return MHD_NO;
	if (fault && !strcmp(fault, "truncated_body"))
		return send_truncated(c, s);
	{
		enum MHD_Result ret = send_body(c, status ? status : MHD_HTTP_OK, s, retry_after);
		free(s);
		return ret;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)version;
	if (!cn) {
		cn = calloc(1, sizeof(*cn));
		if (!cn)
			return MHD_NO;
		buf_init(&cn->body, SERVER_BODY_MAX);
		cn->headers = cJSON_CreateObject();
		*con_cls = cn;
		return MHD_YES;
	}
	if (*upload_data_size) {
		buf_add(&cn->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, cn->headers);
	return answer(c, method, url, cn);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!cn)
		return;
	buf_release(&cn->body);
	cJSON_Delete(cn->headers);
	free(cn);
	*con_cls = NULL;
}

static int write_port_file(const char *path, unsigned port)
{
	struct buf tmp = BUF_INIT;
	FILE *f;
	int r = -1;

	buf_init(&tmp, 0);
	buf_setf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp.data, "w");
	if (f) {
		fprintf(f, "%u\n", port);
		if (fclose(f) == 0 && rename(tmp.data, path) == 0)
			r = 0;
	}
	buf_release(&tmp);
	return r;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: llm_server --script FILE [--log FILE] [--port-file FILE] [--port N]\n");
}

int main(int argc, char **argv)
{
	const char *script = NULL, *log_path = NULL, *port_file = NULL;
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct buf err = BUF_INIT, text = BUF_INIT;
	sigset_t set;
	int i, sig, port = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--script") && i + 1 < argc)
			script = argv[++i];
		else if (!strcmp(argv[i], "--log") && i + 1 < argc)
			log_path = argv[++i];
		else if (!strcmp(argv[i], "--port-file") && i + 1 < argc)
			port_file = argv[++i];
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = atoi(argv[++i]);
		else {
			usage();
			return 2;
		}
	}
	if (!script) {
		usage();
		return 2;
	}
	buf_init(&err, 0);
	buf_init(&text, 0);
	if (buf_read_file(&text, script) < 0) {
		fprintf(stderr, "llm_server: cannot read script '%s': %s\n", script,
		        strerror(errno));
		return 1;
	}
	srv.script = cJSON_ParseWithLength(text.data, text.len);
	buf_release(&text);
	if (!cJSON_IsArray(srv.script)) {
		fprintf(stderr, "llm_server: script '%s' is not a JSON array of steps\n", script);
		return 1;
	}
	if (log_path) {
		srv.log = fopen(log_path, "a");
		if (!srv.log) {
			fprintf(stderr, "llm_server: cannot open log '%s': %s\n", log_path,
			        strerror(errno));
			return 1;
		}
	}

	/* Block the stop signals in every thread; main waits for them below. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "llm_server: cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port) {
		fprintf(stderr, "llm_server: cannot tell which port was bound\n");
		MHD_stop_daemon(d);
		return 1;
	}
	if (port_file) {
		if (write_port_file(port_file, info->port) < 0) {
			fprintf(stderr, "llm_server: cannot write '%s': %s\n", port_file,
			        strerror(errno));
			MHD_stop_daemon(d);
			return 1;
		}
	} else {
		printf("%u\n", info->port);
		fflush(stdout);
	}

	while (sigwait(&set, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
		;
	srv.stopping = 1;
	MHD_stop_daemon(d);
	if (srv.log)
		fclose(srv.log);
	cJSON_Delete(srv.script);
	buf_release(&err);
	return 0;
}
