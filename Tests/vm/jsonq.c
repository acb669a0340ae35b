/*
 * jsonq: a very small JSON reader for the VM suite (busybox has none).
 *
 *   jsonq [-n] [PATH] < document.json
 *
 * Parses standard input strictly (RFC 8259; one document, nothing after it)
 * and prints the value at PATH, a dot-separated list of object keys and
 * array indexes ("nodes.2.cpus", "nodes.0.distances.3"; an empty PATH or
 * "." is the whole document):
 *
 *   a string        its text, unescaped (\uXXXX outside ASCII printed as '?')
 *   a number        as written
 *   true/false/null as written
 *   an array        its elements on one line, space-separated, if all are
 *                   scalars; "[...]" otherwise
 *   an object       its keys on one line, space-separated
 *
 * With -n it prints the number of elements (array) or keys (object).
 *
 * Exit status: 0 found; 1 PATH not found; 2 invalid JSON or usage (the
 * message says where the document is broken).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { NUL, BOOL, NUM, STR, ARR, OBJ };

struct val {
    enum kind kind;
    char *text;          /* NUM, STR, BOOL: the text; OBJ members: the key */
    struct val *child;   /* ARR, OBJ: first element / member */
    struct val *next;    /* next sibling */
    struct val *member;  /* OBJ member: its value (text holds the key) */
};

static const char *src;
static size_t pos, len;

static void bad(const char *what) {
    size_t line = 1;
    for (size_t i = 0; i < pos && i < len; i++) line += src[i] == '\n';
    fprintf(stderr, "jsonq: invalid JSON at byte %zu (line %zu): %s\n", pos, line, what);
    exit(2);
}

static void *xcalloc(size_t n) {
    void *p = calloc(1, n);
    if (!p) { fprintf(stderr, "jsonq: out of memory\n"); exit(2); }
    return p;
}

static void ws(void) {
    while (pos < len && (src[pos] == ' ' || src[pos] == '\t' || src[pos] == '\n' || src[pos] == '\r'))
        pos++;
}

static struct val *value(int depth);

static char *string(void) {
    if (src[pos] != '"') bad("expected a string");
    pos++;
    char *out = xcalloc(len - pos + 1);
    size_t o = 0;
    for (;;) {
        if (pos >= len) bad("unterminated string");
        unsigned char c = (unsigned char)src[pos++];
        if (c == '"') break;
        if (c < 0x20) bad("control character in string");
        if (c != '\\') { out[o++] = (char)c; continue; }
        if (pos >= len) bad("unterminated escape");
        c = (unsigned char)src[pos++];
        switch (c) {
        case '"': case '\\': case '/': out[o++] = (char)c; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned v = 0;
            for (int i = 0; i < 4; i++, pos++) {
                if (pos >= len) bad("short \\u escape");
                char h = src[pos];
                v <<= 4;
                if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
                else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
                else bad("bad \\u escape");
            }
            out[o++] = v < 0x80 ? (char)v : '?';
            break;
        }
        default: bad("bad escape");
        }
    }
    return out;
}

static char *number(void) {
    size_t start = pos;
    if (src[pos] == '-') pos++;
    if (pos < len && src[pos] == '0') pos++;
    else if (pos < len && src[pos] >= '1' && src[pos] <= '9')
        while (pos < len && src[pos] >= '0' && src[pos] <= '9') pos++;
    else bad("bad number");
    if (pos < len && src[pos] == '.') {
        pos++;
        if (pos >= len || src[pos] < '0' || src[pos] > '9') bad("bad fraction");
        while (pos < len && src[pos] >= '0' && src[pos] <= '9') pos++;
    }
    if (pos < len && (src[pos] == 'e' || src[pos] == 'E')) {
        pos++;
        if (pos < len && (src[pos] == '+' || src[pos] == '-')) pos++;
        if (pos >= len || src[pos] < '0' || src[pos] > '9') bad("bad exponent");
        while (pos < len && src[pos] >= '0' && src[pos] <= '9') pos++;
    }
    char *t = xcalloc(pos - start + 1);
    memcpy(t, src + start, pos - start);
    return t;
}

static int word(const char *w) {
    size_t n = strlen(w);
    if (len - pos >= n && memcmp(src + pos, w, n) == 0) { pos += n; return 1; }
    return 0;
}

static struct val *value(int depth) {
    if (depth > 512) bad("nested too deeply");
    ws();
    if (pos >= len) bad("unexpected end");
    struct val *v = xcalloc(sizeof *v);
    char c = src[pos];
    if (c == '{' || c == '[') {
        int obj = c == '{';
        v->kind = obj ? OBJ : ARR;
        pos++;
        ws();
        struct val **tail = &v->child;
        if (pos < len && src[pos] == (obj ? '}' : ']')) { pos++; return v; }
        for (;;) {
            struct val *e;
            if (obj) {
                ws();
                e = xcalloc(sizeof *e);
                e->text = string();
                ws();
                if (pos >= len || src[pos] != ':') bad("expected ':'");
                pos++;
                e->member = value(depth + 1);
            } else {
                e = value(depth + 1);
            }
            *tail = e;
            tail = &e->next;
            ws();
            if (pos < len && src[pos] == ',') { pos++; continue; }
            if (pos < len && src[pos] == (obj ? '}' : ']')) { pos++; return v; }
            bad(obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (c == '"') { v->kind = STR; v->text = string(); return v; }
    if (c == '-' || (c >= '0' && c <= '9')) { v->kind = NUM; v->text = number(); return v; }
    if (word("true")) { v->kind = BOOL; v->text = "true"; return v; }
    if (word("false")) { v->kind = BOOL; v->text = "false"; return v; }
    if (word("null")) { v->kind = NUL; v->text = "null"; return v; }
    bad("unexpected character");
    return NULL;
}

static struct val *lookup(struct val *v, char *path) {
    for (char *seg = strtok(path, "."); seg && v; seg = strtok(NULL, ".")) {
        struct val *e = v->child, *found = NULL;
        if (v->kind == OBJ) {
            for (; e; e = e->next)
                if (strcmp(e->text, seg) == 0) found = e->member;
        } else if (v->kind == ARR) {
            char *end;
            long i = strtol(seg, &end, 10);
            if (*end || i < 0) return NULL;
            for (; e && i > 0; e = e->next, i--) {}
            found = e;
        }
        v = found;
    }
    return v;
}

int main(int argc, char **argv) {
    int count = 0, a = 1;
    if (a < argc && strcmp(argv[a], "-n") == 0) { count = 1; a++; }
    if (argc - a > 1) { fprintf(stderr, "usage: jsonq [-n] [PATH] < file.json\n"); return 2; }
    char *path = a < argc ? argv[a] : "";

    size_t cap = 1 << 16;
    char *buf = xcalloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len == cap) {
            buf = realloc(buf, cap *= 2);
            if (!buf) { fprintf(stderr, "jsonq: out of memory\n"); return 2; }
        }
    }
    src = buf;
    struct val *doc = value(0);
    ws();
    if (pos != len) bad("text after the document");

    struct val *v = lookup(doc, path);
    if (!v) { fprintf(stderr, "jsonq: %s: not found\n", path); return 1; }
    if (count) {
        size_t k = 0;
        for (struct val *e = v->child; e; e = e->next) k++;
        printf("%zu\n", k);
        return 0;
    }
    if (v->kind == ARR) {
        int scalars = 1;
        for (struct val *e = v->child; e; e = e->next)
            if (e->kind == ARR || e->kind == OBJ) scalars = 0;
        if (!scalars) { puts("[...]"); return 0; }
    }
    if (v->kind == ARR || v->kind == OBJ) {
        const char *sep = "";
        for (struct val *e = v->child; e; e = e->next) {
            printf("%s%s", sep, e->text);
            sep = " ";
        }
        putchar('\n');
        return 0;
    }
    puts(v->text);
    return 0;
}
