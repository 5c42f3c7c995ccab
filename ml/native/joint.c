/* The send path's scorer in C: what ml.joint's JointScorer computes for a message, in one pass.
 *
 * A message's decision per model is its intercept plus, per analysis (word 1-2-grams; character
 * n-grams within words), W / sqrt(Q), W and Q being sums over the message's n-gram occurrences
 * (ml.features). Each analysis has one table: n-gram -> every model's W, then every model's Q.
 *
 * Keys are 64-bit hashes of the n-gram's code points; the table keeps no text. Two vocabulary
 * entries with one hash are refused when the table is built (the caller then stays in Python); an
 * n-gram outside the vocabulary matches an entry only if its 64-bit hash does, about one chance in
 * 10^14 per lookup with 200,000 entries.
 *
 * The text arrives lowercased, as a Python string's own storage (1, 2 or 4 bytes a code point,
 * read in place). Which code points are whitespace (what str.split() splits on) and which are word
 * characters (what the regex \w matches) come from Python as bitmaps, so both cuts are Python's.
 *
 * The C part of scoring allocates nothing and takes no lock: the tables are read-only once built,
 * and any number of threads may score at once.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CODE_POINTS 0x110000
#define BITMAP_BYTES (CODE_POINTS / 8)
#define MAX_MODELS 16
#define SPACE 0x20u

/* Open addressing with linear probes. A slot is its key (0: empty) then its row of `width`
   doubles, side by side, so that a lookup that finds its key has its row in the same cache line or
   the next. */
typedef struct {
    uint64_t *slots;
    uint64_t mask;
    int width;    /* 2 x models */
    int stride;   /* 1 + width, in 8-byte words */
    void *region; /* the mapping the slots live in, and its size */
    size_t bytes;
} table_t;

typedef struct {
    int models;
    double intercepts[MAX_MODELS];
    int char_low, char_high, word_bigrams;
    uint8_t word_chars[BITMAP_BYTES];
    uint8_t spaces[BITMAP_BYTES];
    table_t words, chars;
} scorer_t;

static uint64_t mix(uint64_t h) {
    /* splitmix64's finaliser, so that every bit of the key moves the slot. 0 marks an empty slot,
       so a key that mixes to 0 is stored as 1. */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h ? h : 1;
}

typedef struct {
    const void *data;
    int kind; /* bytes a code point */
} text_t;

static inline uint32_t at(text_t t, int64_t i) {
    switch (t.kind) {
    case 1: return ((const uint8_t *)t.data)[i];
    case 2: return ((const uint16_t *)t.data)[i];
    default: return ((const uint32_t *)t.data)[i];
    }
}

#define FNV_START 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static inline uint64_t step(uint64_t h, uint32_t c) { return (h ^ c) * FNV_PRIME; }

static uint64_t hash_span(text_t t, int64_t start, int64_t end) {
    uint64_t h = FNV_START;
    for (int64_t i = start; i < end; i++) h = step(h, at(t, i));
    return mix(h);
}

static inline int has(const uint8_t *bits, uint32_t c) {
    return c < CODE_POINTS && (bits[c >> 3] >> (c & 7)) & 1;
}

static inline uint64_t *slot_at(const table_t *t, uint64_t slot) { return t->slots + slot * (uint64_t)t->stride; }

static const double *find(const table_t *t, uint64_t key) {
    if (!t->slots) return NULL;
    for (uint64_t slot = key & t->mask;; slot = (slot + 1) & t->mask) {
        const uint64_t *entry = slot_at(t, slot);
        if (*entry == key) return (const double *)(entry + 1);
        if (!*entry) return NULL;
    }
}

/* Lookups go in batches: every slot of a batch is asked of memory before the first is read. After
   a send has evicted the tables from the CPU caches, each lookup is a wait on memory; a batch
   overlaps those waits instead of queueing them. */
#define BATCH 128

typedef struct {
    const table_t *table;
    double *sums;
    int count;
    uint64_t keys[BATCH];
} batch_t;

static void flush(batch_t *b) {
    const table_t *t = b->table;
    if (t->slots)
        for (int i = 0; i < b->count; i++) {
            const uint64_t *entry = slot_at(t, b->keys[i] & t->mask);
            __builtin_prefetch(entry);
            __builtin_prefetch(entry + t->stride - 1); /* the slot's end, when it crosses a line */
        }
    for (int i = 0; i < b->count; i++) {
        const double *row = find(t, b->keys[i]);
        if (row)
            for (int j = 0; j < t->width; j++) b->sums[j] += row[j];
    }
    b->count = 0;
}

static inline void look_up(batch_t *b, uint64_t key) {
    b->keys[b->count++] = key;
    if (b->count == BATCH) flush(b);
}

static void *jc_new(int models, const double *intercepts, const uint8_t *word_chars, const uint8_t *spaces,
             int char_low, int char_high, int word_bigrams) {
    if (models < 1 || models > MAX_MODELS || char_low < 1 || char_high < char_low) return NULL;
    scorer_t *s = calloc(1, sizeof(scorer_t));
    if (!s) return NULL;
    s->models = models;
    memcpy(s->intercepts, intercepts, sizeof(double) * models);
    memcpy(s->word_chars, word_chars, BITMAP_BYTES);
    memcpy(s->spaces, spaces, BITMAP_BYTES);
    s->char_low = char_low;
    s->char_high = char_high;
    s->word_bigrams = word_bigrams;
    s->words.width = s->chars.width = 2 * models;
    s->words.stride = s->chars.stride = 1 + 2 * models;
    return s;
}

#define HUGE_PAGE ((size_t)2 << 20)

/* A table's memory: zeroed, and in 2 MB pages where the kernel grants them (transparent huge
   pages on request). A lookup lands on a random page of several megabytes; with 4 KB pages each
   one also misses the TLB, and after a send the page tables themselves are out of the caches.
   Timed alone after each send, the scorer's p99 went from 0.19-0.23 ms to 0.11-0.14 ms with 2 MB pages. */
static void *region(size_t bytes, void **aligned) {
    void *base = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return NULL;
    *aligned = (void *)(((uintptr_t)base + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
#ifdef MADV_HUGEPAGE
    madvise(*aligned, bytes, MADV_HUGEPAGE); /* a refusal only costs speed */
#endif
    return base;
}

static void release_table(table_t *t) {
    if (t->region) munmap(t->region, t->bytes);
    t->region = NULL;
    t->slots = NULL;
}

/* which: 0 the word analysis, 1 the character one. keys: every n-gram's code points end to end
   (UTF-32), n-gram i being keys[starts[i]:starts[i + 1]]; rows: count x (2 x models) doubles.
   0 when built; -1 on two n-grams with one hash, or no memory. */
static int jc_table(void *handle, int which, const void *keys, const int64_t *starts, int64_t count,
                    const double *rows) {
    scorer_t *s = handle;
    table_t *t = which ? &s->chars : &s->words;
    uint64_t size = 16;
    while (size < 2 * (uint64_t)count) size <<= 1; /* at most half full: short probes */
    table_t built = {.mask = size - 1, .width = t->width, .stride = t->stride};
    size_t bytes = size * built.stride * sizeof(uint64_t);
    void *memory;
    built.region = region(bytes, &memory);
    if (!built.region) return -1;
    built.slots = memory;
    built.bytes = bytes + HUGE_PAGE;
    for (int64_t i = 0; i < count; i++) {
        uint64_t key = hash_span((text_t){keys, 4}, starts[i], starts[i + 1]);
        uint64_t slot = key & built.mask;
        while (*slot_at(&built, slot)) {
            if (*slot_at(&built, slot) == key) {
                release_table(&built);
                return -1;
            }
            slot = (slot + 1) & built.mask;
        }
        uint64_t *entry = slot_at(&built, slot);
        *entry = key;
        memcpy(entry + 1, rows + i * t->width, sizeof(double) * t->width);
    }
    release_table(t);
    *t = built;
    return 0;
}

static void jc_free(void *handle) {
    scorer_t *s = handle;
    if (!s) return;
    release_table(&s->words);
    release_table(&s->chars);
    free(s);
}

/* One whitespace-separated word, text[start:end], padded with a space each side as scikit-learn's
   char_wb does: every window of each size from char_low to char_high, except that the first size
   that reaches the padded length counts the padded word once, whole, and ends the cut. */
static void char_grams(const scorer_t *s, text_t text, int64_t start, int64_t end, batch_t *b) {
    int64_t padded = end - start + 2;
    for (int n = s->char_low; n <= s->char_high; n++) {
        int64_t size = padded <= n ? padded : n;
        for (int64_t offset = 0; offset + size <= padded; offset++) {
            uint64_t h = FNV_START;
            for (int64_t i = offset; i < offset + size; i++)
                h = step(h, (i == 0 || i == padded - 1) ? SPACE : at(text, start + i - 1));
            look_up(b, mix(h));
        }
        if (padded <= n) break;
    }
}

/* The regex (?u)\b\w\w+\b finds the maximal runs of two or more word characters; the 2-grams are
   neighbouring tokens joined by a space, across words as scikit-learn joins them. */
static void word_tokens(const scorer_t *s, text_t text, int64_t length, batch_t *b) {
    int64_t last_start = -1, last_end = -1;
    for (int64_t i = 0; i < length;) {
        if (!has(s->word_chars, at(text, i))) {
            i++;
            continue;
        }
        int64_t start = i;
        while (i < length && has(s->word_chars, at(text, i))) i++;
        if (i - start < 2) continue;
        look_up(b, hash_span(text, start, i));
        if (s->word_bigrams && last_start >= 0) {
            uint64_t h = FNV_START;
            for (int64_t j = last_start; j < last_end; j++) h = step(h, at(text, j));
            h = step(h, SPACE);
            for (int64_t j = start; j < i; j++) h = step(h, at(text, j));
            look_up(b, mix(h));
        }
        last_start = start;
        last_end = i;
    }
}

/* text: the lowercased message, `length` code points. out: each model's decision (before the
   logistic). */
static void jc_decisions(const void *handle, text_t text, int64_t length, double *out) {
    const scorer_t *s = handle;
    double word_sums[2 * MAX_MODELS] = {0}, char_sums[2 * MAX_MODELS] = {0};
    batch_t words = {.table = &s->words, .sums = word_sums}, chars = {.table = &s->chars, .sums = char_sums};
    word_tokens(s, text, length, &words);
    flush(&words);
    for (int64_t i = 0; i < length;) {
        if (has(s->spaces, at(text, i))) {
            i++;
            continue;
        }
        int64_t start = i;
        while (i < length && !has(s->spaces, at(text, i))) i++;
        char_grams(s, text, start, i, &chars);
    }
    flush(&chars);
    for (int m = 0; m < s->models; m++) {
        double total = s->intercepts[m];
        const double *analyses[2] = {word_sums, char_sums};
        for (int a = 0; a < 2; a++) {
            double squared = analyses[a][s->models + m];
            if (squared > 0.0) total += analyses[a][m] / sqrt(squared);
        }
        out[m] = total;
    }
}

/* The Python module ml.native._joint: a scorer is a capsule that frees its tables with it. */

#define CAPSULE "ml.native._joint.scorer"

static void release(PyObject *capsule) { jc_free(PyCapsule_GetPointer(capsule, CAPSULE)); }

/* new(models, intercepts: float64 x models, word_chars: bitmap, spaces: bitmap, low, high, bigrams) */
static PyObject *py_new(PyObject *self, PyObject *args) {
    (void)self;
    int models, low, high, bigrams;
    Py_buffer intercepts, word_chars, spaces;
    if (!PyArg_ParseTuple(args, "iy*y*y*iip", &models, &intercepts, &word_chars, &spaces, &low, &high, &bigrams))
        return NULL;
    void *scorer = NULL;
    if (intercepts.len == (Py_ssize_t)sizeof(double) * models && word_chars.len == BITMAP_BYTES &&
        spaces.len == BITMAP_BYTES)
        scorer = jc_new(models, intercepts.buf, word_chars.buf, spaces.buf, low, high, bigrams);
    PyBuffer_Release(&intercepts);
    PyBuffer_Release(&word_chars);
    PyBuffer_Release(&spaces);
    if (!scorer) {
        PyErr_SetString(PyExc_ValueError, "a native scorer needs 1 to 16 models, n-gram sizes and two bitmaps");
        return NULL;
    }
    PyObject *capsule = PyCapsule_New(scorer, CAPSULE, release);
    if (!capsule) jc_free(scorer);
    return capsule;
}

/* table(scorer, which, keys: UTF-32, starts: int64 x (count + 1), count, rows: float64) -> bool */
static PyObject *py_table(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *capsule;
    int which;
    Py_ssize_t count;
    Py_buffer keys, starts, rows;
    if (!PyArg_ParseTuple(args, "Oiy*y*ny*", &capsule, &which, &keys, &starts, &count, &rows)) return NULL;
    scorer_t *scorer = PyCapsule_GetPointer(capsule, CAPSULE);
    int built = -1;
    if (scorer && count >= 0 && starts.len == (Py_ssize_t)sizeof(int64_t) * (count + 1) &&
        rows.len == (Py_ssize_t)sizeof(double) * count * 2 * scorer->models &&
        keys.len >= (Py_ssize_t)sizeof(uint32_t) * ((const int64_t *)starts.buf)[count])
        built = jc_table(scorer, which, keys.buf, starts.buf, count, rows.buf);
    PyBuffer_Release(&keys);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&rows);
    if (!scorer) return NULL;
    return PyBool_FromLong(built == 0);
}

/* The logistic of a decision, as ml.joint.logistic computes it (no overflow for very negative z). */
static double logistic(double z) {
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* scores(scorer, lowercased text) -> [each model's probability of class 1] */
static PyObject *py_scores(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "scores(scorer, text: str)");
        return NULL;
    }
    const scorer_t *scorer = PyCapsule_GetPointer(args[0], CAPSULE);
    if (!scorer || PyUnicode_READY(args[1]) < 0) return NULL;
    text_t text = {PyUnicode_DATA(args[1]), PyUnicode_KIND(args[1])};
    double out[MAX_MODELS];
    jc_decisions(scorer, text, PyUnicode_GET_LENGTH(args[1]), out);
    PyObject *list = PyList_New(scorer->models);
    for (int m = 0; list && m < scorer->models; m++) {
        PyObject *value = PyFloat_FromDouble(logistic(out[m]));
        if (!value) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, m, value);
    }
    return list;
}

static PyMethodDef methods[] = {
    {"new", py_new, METH_VARARGS, "A scorer with no tables yet."},
    {"table", py_table, METH_VARARGS, "Fill the word (0) or character (1) table; False on a shared hash."},
    {"scores", (PyCFunction)(void (*)(void))py_scores, METH_FASTCALL, "Each model's probability for a lowercased text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT, .m_name = "_joint", .m_doc = "ml.joint's sums in C.", .m_size = -1, .m_methods = methods};

PyMODINIT_FUNC PyInit__joint(void) { return PyModule_Create(&module); }
