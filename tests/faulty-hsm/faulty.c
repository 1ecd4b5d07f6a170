/* A PKCS#11 module that misbehaves on purpose, for rootca's tests.
 *
 * It forwards every call to a real module (SoftHSM) and, when told by
 * environment variables, injects the faults a real HSM or a second client
 * can cause: a slow key generation, a key that came out extractable, an
 * error after the pair was made, a second pair under the same label, a
 * device error from any one call, short random data. The variables are read
 * once per process, when the module is first asked for its function list
 * (clients do that right after loading it, before C_Initialize):
 *
 *   ROOTCA_SHIM_MODULE              the real module
 *                                   (default /usr/lib/softhsm/libsofthsm2.so)
 *   ROOTCA_SHIM_SLOW_GENERATE_MS=N  sleep N ms before C_GenerateKeyPair
 *   ROOTCA_SHIM_EXTRACTABLE=1       the private keys made by C_GenerateKeyPair
 *                                   in this process read back CKA_EXTRACTABLE
 *                                   TRUE and CKA_NEVER_EXTRACTABLE FALSE
 *   ROOTCA_SHIM_ERROR_AFTER_GENERATE=1
 *                                   C_GenerateKeyPair makes the pair, then
 *                                   returns CKR_DEVICE_ERROR (handles zeroed)
 *   ROOTCA_SHIM_DUPLICATE_LABEL=1   C_GenerateKeyPair makes a second pair with
 *                                   the same templates; the caller gets the
 *                                   handles of the first
 *   ROOTCA_SHIM_FAIL=NAME[:N],...   the N-th call (default 1) of function NAME
 *                                   in this process returns CKR_DEVICE_ERROR
 *                                   without reaching the real module (any
 *                                   C_* of the 2.40 list but
 *                                   C_GetFunctionList; a failed C_Sign,
 *                                   C_SignUpdate or C_SignFinal also ends the
 *                                   real signing operation, as PKCS#11 says
 *                                   an error does; other operations are left
 *                                   active in the real module)
 *   ROOTCA_SHIM_SHORT_RANDOM=1      C_GenerateRandom fills only the first half
 *                                   of the buffer with random bytes, zeroes
 *                                   the rest and returns CKR_OK
 *   ROOTCA_SHIM_NO_SO_LOGIN=1       C_Login as CKU_SO returns
 *                                   CKR_USER_TYPE_INVALID without reaching
 *                                   the real module, as a module without a
 *                                   security officer role (CloudHSM's) does
 *   ROOTCA_SHIM_CLOUDHSM_KEY_WRAP=1 RFC 5649 key wrap goes by CloudHSM Client
 *                                   SDK 5's name: the mechanism list, its
 *                                   info, C_WrapKey and C_UnwrapKey know
 *                                   CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD
 *                                   (0x8000216F) and pass it to the real
 *                                   module as CKM_AES_KEY_WRAP_PAD, which
 *                                   they refuse (CKR_MECHANISM_INVALID)
 *   ROOTCA_SHIM_NO_KEY_WRAP_PAD=1   neither name is offered: the module has
 *                                   no RFC 5649 key wrap
 *
 * A flag is on with "1" and off when unset, empty or "0". Any other value,
 * an unknown function name, an N below 1, or an unknown ROOTCA_SHIM_*
 * variable makes C_GetFunctionList fail with a message on stderr: a test
 * with a misspelt fault must fail, not pass against a well-behaved HSM.
 *
 * Only C_GetFunctionList is exported. There is deliberately no
 * C_GetInterface, so that PKCS#11 3.0 clients (cryptoki, pkcs11-tool) take
 * the 2.40 function list, which is the one wrapped here.
 */

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#define SHIM "faulty-pkcs11"
#define DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define PREFIX "ROOTCA_SHIM_"

extern char **environ;

/* The functions of the 2.40 list that are only counted and forwarded:
 * all but C_GetFunctionList (answered here) and SPECIAL_FUNCTIONS below.
 * X(name, parameters, arguments). */
#define PLAIN_FUNCTIONS(X) \
    X(C_Initialize, (CK_VOID_PTR a), (a)) \
    X(C_Finalize, (CK_VOID_PTR a), (a)) \
    X(C_GetInfo, (CK_INFO_PTR a), (a)) \
    X(C_GetSlotList, (CK_BBOOL a, CK_SLOT_ID_PTR b, CK_ULONG_PTR c), (a, b, c)) \
    X(C_GetSlotInfo, (CK_SLOT_ID a, CK_SLOT_INFO_PTR b), (a, b)) \
    X(C_GetTokenInfo, (CK_SLOT_ID a, CK_TOKEN_INFO_PTR b), (a, b)) \
    X(C_InitToken, (CK_SLOT_ID a, CK_UTF8CHAR_PTR b, CK_ULONG c, CK_UTF8CHAR_PTR d), (a, b, c, d)) \
    X(C_InitPIN, (CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c), (a, b, c)) \
    X(C_SetPIN, (CK_SESSION_HANDLE a, CK_UTF8CHAR_PTR b, CK_ULONG c, CK_UTF8CHAR_PTR d, CK_ULONG e), (a, b, c, d, e)) \
    X(C_OpenSession, (CK_SLOT_ID a, CK_FLAGS b, CK_VOID_PTR c, CK_NOTIFY d, CK_SESSION_HANDLE_PTR e), (a, b, c, d, e)) \
    X(C_CloseSession, (CK_SESSION_HANDLE a), (a)) \
    X(C_CloseAllSessions, (CK_SLOT_ID a), (a)) \
    X(C_GetSessionInfo, (CK_SESSION_HANDLE a, CK_SESSION_INFO_PTR b), (a, b)) \
    X(C_GetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
    X(C_SetOperationState, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_OBJECT_HANDLE d, CK_OBJECT_HANDLE e), (a, b, c, d, e)) \
    X(C_Logout, (CK_SESSION_HANDLE a), (a)) \
    X(C_CreateObject, (CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c, CK_OBJECT_HANDLE_PTR d), (a, b, c, d)) \
    X(C_CopyObject, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c, CK_ULONG d, CK_OBJECT_HANDLE_PTR e), (a, b, c, d, e)) \
    X(C_DestroyObject, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b), (a, b)) \
    X(C_GetObjectSize, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ULONG_PTR c), (a, b, c)) \
    X(C_SetAttributeValue, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b, CK_ATTRIBUTE_PTR c, CK_ULONG d), (a, b, c, d)) \
    X(C_FindObjectsInit, (CK_SESSION_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c), (a, b, c)) \
    X(C_FindObjects, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE_PTR b, CK_ULONG c, CK_ULONG_PTR d), (a, b, c, d)) \
    X(C_FindObjectsFinal, (CK_SESSION_HANDLE a), (a)) \
    X(C_EncryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
    X(C_Encrypt, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_EncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_EncryptFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
    X(C_DecryptInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
    X(C_Decrypt, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_DecryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_DecryptFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
    X(C_DigestInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b), (a, b)) \
    X(C_Digest, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_DigestUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
    X(C_DigestKey, (CK_SESSION_HANDLE a, CK_OBJECT_HANDLE b), (a, b)) \
    X(C_DigestFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG_PTR c), (a, b, c)) \
    X(C_SignInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
    X(C_SignRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
    X(C_SignRecover, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_VerifyInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
    X(C_Verify, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG e), (a, b, c, d, e)) \
    X(C_VerifyUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
    X(C_VerifyFinal, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
    X(C_VerifyRecoverInit, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c), (a, b, c)) \
    X(C_VerifyRecover, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_DigestEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_DecryptDigestUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_SignEncryptUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c, CK_BYTE_PTR d, CK_ULONG_PTR e), (a, b, c, d, e)) \
    X(C_GenerateKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_ATTRIBUTE_PTR c, CK_ULONG d, CK_OBJECT_HANDLE_PTR e), (a, b, c, d, e)) \
    X(C_DeriveKey, (CK_SESSION_HANDLE a, CK_MECHANISM_PTR b, CK_OBJECT_HANDLE c, CK_ATTRIBUTE_PTR d, CK_ULONG e, CK_OBJECT_HANDLE_PTR f), (a, b, c, d, e, f)) \
    X(C_SeedRandom, (CK_SESSION_HANDLE a, CK_BYTE_PTR b, CK_ULONG c), (a, b, c)) \
    X(C_GetFunctionStatus, (CK_SESSION_HANDLE a), (a)) \
    X(C_CancelFunction, (CK_SESSION_HANDLE a), (a)) \
    X(C_WaitForSlotEvent, (CK_FLAGS a, CK_SLOT_ID_PTR b, CK_VOID_PTR c), (a, b, c))

/* The functions whose wrappers do more than count and forward. */
#define SPECIAL_FUNCTIONS(X) \
    X(C_GetAttributeValue) \
    X(C_GenerateKeyPair) \
    X(C_GenerateRandom) \
    X(C_Login) \
    X(C_GetMechanismList) \
    X(C_GetMechanismInfo) \
    X(C_WrapKey) \
    X(C_UnwrapKey) \
    X(C_Sign) \
    X(C_SignUpdate) \
    X(C_SignFinal)

/* One index per function, for the call counters and ROOTCA_SHIM_FAIL. */
#define INDEX_OF_PLAIN(name, params, args) IDX_##name,
#define INDEX_OF_SPECIAL(name) IDX_##name,
enum { PLAIN_FUNCTIONS(INDEX_OF_PLAIN) SPECIAL_FUNCTIONS(INDEX_OF_SPECIAL) IDX_COUNT };

#define NAME_OF_PLAIN(name, params, args) #name,
#define NAME_OF_SPECIAL(name) #name,
static const char *const names[IDX_COUNT] = {
    PLAIN_FUNCTIONS(NAME_OF_PLAIN) SPECIAL_FUNCTIONS(NAME_OF_SPECIAL)
};

/* --- configuration, read once ------------------------------------------ */

#define MAX_FAILS 32
struct fail { int index; unsigned long nth; };

static struct {
    unsigned long slow_generate_ms;
    int extractable, error_after_generate, duplicate_label, short_random, no_so_login,
        cloudhsm_key_wrap, no_key_wrap_pad;
    struct fail fails[MAX_FAILS];
    int nfails;
} config;

static CK_FUNCTION_LIST *real;     /* the real module's list */
static CK_FUNCTION_LIST shim_list; /* what callers get */
static CK_RV setup_rv = CKR_OK;    /* CKR_OK once the shim is usable */
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

/* Calls made so far, per function, in this process. */
static unsigned long calls[IDX_COUNT];

static int bad(const char *what, const char *value)
{
    fprintf(stderr, SHIM ": %s: %s\n", what, value);
    return -1;
}

static int parse_flag(const char *var, int *out)
{
    const char *v = getenv(var);
    if (v == NULL || *v == '\0' || strcmp(v, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (strcmp(v, "1") == 0) {
        *out = 1;
        return 0;
    }
    return bad(var, "must be 1 or 0");
}

/* A decimal number >= min, nothing else. */
static int parse_number(const char *text, unsigned long min, unsigned long *out)
{
    char *end;
    if (*text < '0' || *text > '9')
        return -1;
    errno = 0;
    unsigned long n = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || n < min)
        return -1;
    *out = n;
    return 0;
}

static int parse_fails(const char *spec)
{
    char *copy = strdup(spec), *save = NULL;
    if (copy == NULL)
        return bad("ROOTCA_SHIM_FAIL", "out of memory");
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item != NULL && rc == 0;
         item = strtok_r(NULL, ",", &save)) {
        unsigned long nth = 1;
        char *colon = strchr(item, ':');
        if (colon != NULL) {
            *colon = '\0';
            if (parse_number(colon + 1, 1, &nth) != 0) {
                rc = bad("ROOTCA_SHIM_FAIL: the call number must be 1 or more", colon + 1);
                break;
            }
        }
        int index = -1;
        for (int i = 0; i < IDX_COUNT; i++)
            if (strcmp(names[i], item) == 0)
                index = i;
        if (index < 0)
            rc = bad("ROOTCA_SHIM_FAIL: no such PKCS#11 function", item);
        else if (config.nfails == MAX_FAILS)
            rc = bad("ROOTCA_SHIM_FAIL", "too many entries");
        else
            config.fails[config.nfails++] = (struct fail){ index, nth };
    }
    free(copy);
    return rc;
}

/* Refuses ROOTCA_SHIM_* variables this module does not know (typos). */
static int check_known_variables(void)
{
    static const char *const known[] = {
        "MODULE", "SLOW_GENERATE_MS", "EXTRACTABLE", "ERROR_AFTER_GENERATE",
        "DUPLICATE_LABEL", "FAIL", "SHORT_RANDOM", "NO_SO_LOGIN",
        "CLOUDHSM_KEY_WRAP", "NO_KEY_WRAP_PAD",
    };
    for (char **e = environ; *e != NULL; e++) {
        if (strncmp(*e, PREFIX, strlen(PREFIX)) != 0)
            continue;
        const char *name = *e + strlen(PREFIX);
        size_t len = strcspn(name, "=");
        int found = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (strlen(known[i]) == len && strncmp(known[i], name, len) == 0)
                found = 1;
        if (!found)
            return bad("unknown variable", *e);
    }
    return 0;
}

static int read_config(void)
{
    if (check_known_variables() != 0)
        return -1;
    const char *ms = getenv("ROOTCA_SHIM_SLOW_GENERATE_MS");
    if (ms != NULL && *ms != '\0' && parse_number(ms, 0, &config.slow_generate_ms) != 0)
        return bad("ROOTCA_SHIM_SLOW_GENERATE_MS must be a number of milliseconds", ms);
    const char *fail = getenv("ROOTCA_SHIM_FAIL");
    if (fail != NULL && parse_fails(fail) != 0)
        return -1;
    if (parse_flag("ROOTCA_SHIM_EXTRACTABLE", &config.extractable) != 0 ||
        parse_flag("ROOTCA_SHIM_ERROR_AFTER_GENERATE", &config.error_after_generate) != 0 ||
        parse_flag("ROOTCA_SHIM_DUPLICATE_LABEL", &config.duplicate_label) != 0 ||
        parse_flag("ROOTCA_SHIM_SHORT_RANDOM", &config.short_random) != 0 ||
        parse_flag("ROOTCA_SHIM_NO_SO_LOGIN", &config.no_so_login) != 0 ||
        parse_flag("ROOTCA_SHIM_CLOUDHSM_KEY_WRAP", &config.cloudhsm_key_wrap) != 0 ||
        parse_flag("ROOTCA_SHIM_NO_KEY_WRAP_PAD", &config.no_key_wrap_pad) != 0)
        return -1;
    return 0;
}

/* --- the fault points ---------------------------------------------------- */

/* Counts the call; true when ROOTCA_SHIM_FAIL says this one must fail. */
static int injected(int index)
{
    unsigned long n = __atomic_add_fetch(&calls[index], 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < config.nfails; i++)
        if (config.fails[i].index == index && config.fails[i].nth == n)
            return 1;
    return 0;
}

/* Private keys made by C_GenerateKeyPair in this process: handles are only
 * meaningful within one process, which is where a client checks a new key. */
#define MAX_GENERATED 256
static CK_OBJECT_HANDLE generated[MAX_GENERATED];
static int ngenerated;
static pthread_mutex_t generated_lock = PTHREAD_MUTEX_INITIALIZER;

static void remember_generated(CK_OBJECT_HANDLE key)
{
    pthread_mutex_lock(&generated_lock);
    if (ngenerated < MAX_GENERATED)
        generated[ngenerated++] = key;
    else
        fprintf(stderr, SHIM ": too many generated keys to track\n");
    pthread_mutex_unlock(&generated_lock);
}

static int was_generated(CK_OBJECT_HANDLE key)
{
    int found = 0;
    pthread_mutex_lock(&generated_lock);
    for (int i = 0; i < ngenerated; i++)
        if (generated[i] == key)
            found = 1;
    pthread_mutex_unlock(&generated_lock);
    return found;
}

static void sleep_ms(unsigned long ms)
{
    struct timespec t = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* --- the wrappers -------------------------------------------------------- */

#define ENTER(name)                                  \
    do {                                             \
        if (injected(IDX_##name))                    \
            return CKR_DEVICE_ERROR;                 \
        if (real->name == NULL)                      \
            return CKR_FUNCTION_NOT_SUPPORTED;       \
    } while (0)

#define DEFINE_PLAIN(name, params, args) \
    static CK_RV shim_##name params { ENTER(name); return real->name args; }
PLAIN_FUNCTIONS(DEFINE_PLAIN)

static CK_RV shim_C_GetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object,
                                      CK_ATTRIBUTE_PTR templ, CK_ULONG count)
{
    ENTER(C_GetAttributeValue);
    CK_RV rv = real->C_GetAttributeValue(session, object, templ, count);
    /* These codes still fill every attribute they can (PKCS#11 2.40 5.7). */
    int filled = rv == CKR_OK || rv == CKR_ATTRIBUTE_SENSITIVE ||
                 rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_BUFFER_TOO_SMALL;
    if (!config.extractable || !filled || !was_generated(object))
        return rv;
    for (CK_ULONG i = 0; i < count; i++) {
        CK_ATTRIBUTE *a = &templ[i];
        if (a->type != CKA_EXTRACTABLE && a->type != CKA_NEVER_EXTRACTABLE)
            continue;
        if (a->pValue != NULL && a->ulValueLen >= sizeof(CK_BBOOL))
            *(CK_BBOOL *)a->pValue = a->type == CKA_EXTRACTABLE ? CK_TRUE : CK_FALSE;
        a->ulValueLen = sizeof(CK_BBOOL);
    }
    return rv;
}

static CK_RV shim_C_GenerateKeyPair(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                                    CK_ATTRIBUTE_PTR pub_templ, CK_ULONG pub_count,
                                    CK_ATTRIBUTE_PTR priv_templ, CK_ULONG priv_count,
                                    CK_OBJECT_HANDLE_PTR pub, CK_OBJECT_HANDLE_PTR priv)
{
    ENTER(C_GenerateKeyPair);
    /* Widens the window in which two processes can both see "no such key". */
    if (config.slow_generate_ms > 0)
        sleep_ms(config.slow_generate_ms);
    CK_RV rv = real->C_GenerateKeyPair(session, mechanism, pub_templ, pub_count,
                                       priv_templ, priv_count, pub, priv);
    if (rv != CKR_OK)
        return rv;
    if (config.duplicate_label) {
        /* Another client making the same key at the same moment: its pair
         * stays on the token, its handles are not ours to return. */
        CK_OBJECT_HANDLE pub2, priv2;
        CK_RV rv2 = real->C_GenerateKeyPair(session, mechanism, pub_templ, pub_count,
                                            priv_templ, priv_count, &pub2, &priv2);
        if (rv2 != CKR_OK)
            fprintf(stderr, SHIM ": the duplicate pair was not made: CKR 0x%lx\n", rv2);
    }
    if (priv != NULL)
        remember_generated(*priv);
    if (config.error_after_generate) {
        /* The device made the pair but reports failure: the caller gets no
         * handles, and must find the pair on the token by itself. */
        if (pub != NULL)
            *pub = CK_INVALID_HANDLE;
        if (priv != NULL)
            *priv = CK_INVALID_HANDLE;
        return CKR_DEVICE_ERROR;
    }
    return rv;
}

static CK_RV shim_C_GenerateRandom(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG len)
{
    ENTER(C_GenerateRandom);
    if (!config.short_random || data == NULL)
        return real->C_GenerateRandom(session, data, len);
    /* PKCS#11 has no way to return fewer bytes than asked: a short read
     * shows only as bytes that were never written, here zeros. */
    CK_ULONG half = len / 2;
    CK_RV rv = half > 0 ? real->C_GenerateRandom(session, data, half) : CKR_OK;
    if (rv == CKR_OK)
        memset(data + half, 0, len - half);
    return rv;
}

static CK_RV shim_C_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                          CK_ULONG len)
{
    ENTER(C_Login);
    if (config.no_so_login && user == CKU_SO)
        return CKR_USER_TYPE_INVALID;
    return real->C_Login(session, user, pin, len);
}

/* RFC 5649 key wrap under the name CloudHSM Client SDK 5 gives it. */
#define CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD (CKM_VENDOR_DEFINED | 0x216FUL)

/* What shown() and real_type() answer for a mechanism the shim hides. Not
 * 0: that is CKM_RSA_PKCS_KEY_PAIR_GEN. */
#define HIDDEN ((CK_MECHANISM_TYPE)CK_UNAVAILABLE_INFORMATION)

/* The name the caller sees for the real module's mechanism `type`, or
 * HIDDEN. */
static CK_MECHANISM_TYPE shown(CK_MECHANISM_TYPE type)
{
    if (type != CKM_AES_KEY_WRAP_PAD)
        return type;
    if (config.no_key_wrap_pad)
        return HIDDEN;
    return config.cloudhsm_key_wrap ? CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD : type;
}

/* The real module's mechanism for the caller's `type`, or HIDDEN. */
static CK_MECHANISM_TYPE real_type(CK_MECHANISM_TYPE type)
{
    if (config.no_key_wrap_pad &&
        (type == CKM_AES_KEY_WRAP_PAD || type == CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD))
        return HIDDEN;
    if (config.cloudhsm_key_wrap && type == CKM_AES_KEY_WRAP_PAD)
        return HIDDEN;
    if (config.cloudhsm_key_wrap && type == CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD)
        return CKM_AES_KEY_WRAP_PAD;
    return type;
}

static CK_RV shim_C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
                                     CK_ULONG_PTR count)
{
    ENTER(C_GetMechanismList);
    if (!config.cloudhsm_key_wrap && !config.no_key_wrap_pad)
        return real->C_GetMechanismList(slot, list, count);
    if (count == NULL)
        return CKR_ARGUMENTS_BAD;
    CK_ULONG n = 0;
    CK_RV rv = real->C_GetMechanismList(slot, NULL, &n);
    if (rv != CKR_OK)
        return rv;
    CK_MECHANISM_TYPE *all = calloc(n > 0 ? n : 1, sizeof *all);
    if (all == NULL)
        return CKR_HOST_MEMORY;
    rv = real->C_GetMechanismList(slot, all, &n);
    CK_ULONG kept = 0;
    for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++)
        if (shown(all[i]) != HIDDEN)
            all[kept++] = shown(all[i]);
    if (rv == CKR_OK && list != NULL && *count < kept)
        rv = CKR_BUFFER_TOO_SMALL;
    else if (rv == CKR_OK && list != NULL)
        memcpy(list, all, kept * sizeof *all);
    if (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL)
        *count = kept;
    free(all);
    return rv;
}

static CK_RV shim_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                     CK_MECHANISM_INFO_PTR info)
{
    ENTER(C_GetMechanismInfo);
    CK_MECHANISM_TYPE real_mech = real_type(type);
    if (real_mech == HIDDEN)
        return CKR_MECHANISM_INVALID;
    return real->C_GetMechanismInfo(slot, real_mech, info);
}

static CK_RV shim_C_WrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                            CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key,
                            CK_BYTE_PTR wrapped, CK_ULONG_PTR wrapped_len)
{
    ENTER(C_WrapKey);
    if (mechanism == NULL)
        return real->C_WrapKey(session, mechanism, wrapping, key, wrapped, wrapped_len);
    CK_MECHANISM m = *mechanism;
    m.mechanism = real_type(mechanism->mechanism);
    if (m.mechanism == HIDDEN)
        return CKR_MECHANISM_INVALID;
    return real->C_WrapKey(session, &m, wrapping, key, wrapped, wrapped_len);
}

static CK_RV shim_C_UnwrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                              CK_OBJECT_HANDLE unwrapping, CK_BYTE_PTR wrapped,
                              CK_ULONG wrapped_len, CK_ATTRIBUTE_PTR templ, CK_ULONG count,
                              CK_OBJECT_HANDLE_PTR key)
{
    ENTER(C_UnwrapKey);
    if (mechanism == NULL)
        return real->C_UnwrapKey(session, mechanism, unwrapping, wrapped, wrapped_len, templ,
                                 count, key);
    CK_MECHANISM m = *mechanism;
    m.mechanism = real_type(mechanism->mechanism);
    if (m.mechanism == HIDDEN)
        return CKR_MECHANISM_INVALID;
    return real->C_UnwrapKey(session, &m, unwrapping, wrapped, wrapped_len, templ, count, key);
}

/* PKCS#11 says that an error from C_Sign, C_SignUpdate or C_SignFinal ends
 * the signing operation, so a client may start another at once. The real
 * module never saw the failed call: end its operation with a throw-away
 * one-byte C_Sign. SoftHSM resets the operation both when that signs and
 * when it refuses (after C_SignUpdate, or for a mechanism that wants other
 * data); only a buffer too small would keep it, and 8 KiB holds the
 * signature of a 16384-bit RSA key. */
static void end_sign_operation(CK_SESSION_HANDLE session)
{
    CK_BYTE data = 0, signature[8192];
    CK_ULONG len = sizeof signature;
    if (real->C_Sign != NULL)
        (void)real->C_Sign(session, &data, 1, signature, &len);
}

#define ENTER_SIGN(name, session)                    \
    do {                                             \
        if (injected(IDX_##name)) {                  \
            end_sign_operation(session);             \
            return CKR_DEVICE_ERROR;                 \
        }                                            \
        if (real->name == NULL)                      \
            return CKR_FUNCTION_NOT_SUPPORTED;       \
    } while (0)

static CK_RV shim_C_Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG len,
                         CK_BYTE_PTR signature, CK_ULONG_PTR signature_len)
{
    ENTER_SIGN(C_Sign, session);
    return real->C_Sign(session, data, len, signature, signature_len);
}

static CK_RV shim_C_SignUpdate(CK_SESSION_HANDLE session, CK_BYTE_PTR part, CK_ULONG len)
{
    ENTER_SIGN(C_SignUpdate, session);
    return real->C_SignUpdate(session, part, len);
}

static CK_RV shim_C_SignFinal(CK_SESSION_HANDLE session, CK_BYTE_PTR signature,
                              CK_ULONG_PTR signature_len)
{
    ENTER_SIGN(C_SignFinal, session);
    return real->C_SignFinal(session, signature, signature_len);
}

/* --- loading -------------------------------------------------------------- */

static void setup(void)
{
    if (read_config() != 0) {
        setup_rv = CKR_ARGUMENTS_BAD;
        return;
    }
    const char *path = getenv("ROOTCA_SHIM_MODULE");
    if (path == NULL || *path == '\0')
        path = DEFAULT_MODULE;
    /* Never closed: the real module lives as long as the process. */
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        bad("cannot load the real module", dlerror());
        setup_rv = CKR_GENERAL_ERROR;
        return;
    }
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
    if (get == NULL) {
        bad("no C_GetFunctionList in", path);
        setup_rv = CKR_GENERAL_ERROR;
        return;
    }
    CK_RV rv = get(&real);
    if (rv != CKR_OK || real == NULL) {
        bad("the real C_GetFunctionList failed", path);
        setup_rv = rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
        return;
    }
    /* The real list, with each entry replaced by its wrapper. Its version
     * says 2.40 whatever the real module's: that is the layout copied. */
    shim_list = *real;
    shim_list.version = (CK_VERSION){ 2, 40 };
#define INSTALL_PLAIN(name, params, args) shim_list.name = shim_##name;
#define INSTALL_SPECIAL(name) shim_list.name = shim_##name;
    PLAIN_FUNCTIONS(INSTALL_PLAIN)
    SPECIAL_FUNCTIONS(INSTALL_SPECIAL)
    shim_list.C_GetFunctionList = C_GetFunctionList;
}

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    pthread_once(&setup_once, setup);
    if (setup_rv != CKR_OK)
        return setup_rv;
    if (list == NULL)
        return CKR_ARGUMENTS_BAD;
    *list = &shim_list;
    return CKR_OK;
}
