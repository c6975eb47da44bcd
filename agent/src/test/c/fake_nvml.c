/*
 * A stand-in for NVIDIA's libnvidia-ml.so.1, so the agent's NVML binding can be tested on machines
 * without a GPU. It implements only the functions gpufleet binds, with nvml.h's signatures, return
 * codes and struct layouts, and behaves as the configuration says.
 *
 * Configuration is a string of space-separated settings, taken from fake_nvml_configure() (tests call
 * it through FFM before opening NVML) or, if that was never called, from the FAKE_NVML environment
 * variable at nvmlInit_v2 (for running a program by hand against this library):
 *
 *   gpus=N             how many GPUs (default 2, at most 16)
 *   model=NAME         model name, '_' standing for ' ' (default NVIDIA_H100_80GB_HBM3)
 *   driver=VERSION     driver version (default 550.54.15)
 *   fail_init=1        nvmlInit_v2 fails with NVML_ERROR_DRIVER_NOT_LOADED
 *   ecc_unsupported=1  registering ECC events fails with NVML_ERROR_NOT_SUPPORTED (XIDs still work)
 *   events_unsupported=1  registering any event fails with NVML_ERROR_NOT_SUPPORTED
 *   xid=G:X            queue XID X on GPU G (repeatable; delivered in order)
 *   dbe=G / sbe=G      queue a double-bit / single-bit ECC event on GPU G
 *   lost=G             GPU G falls off the bus at the first wait, which answers
 *                      NVML_ERROR_GPU_IS_LOST; from then on every query on G fails the same way
 *
 * Queued events are delivered by nvmlEventSetWait_v2, one per call, immediately, but only for types
 * the GPU was registered for (as NVML does). With nothing to deliver, the wait sleeps for its
 * timeout and answers NVML_ERROR_TIMEOUT. Every device function refuses to work outside an
 * init/shutdown pair, so a binding that calls NVML after shutting it down fails its tests.
 *
 * fake_nvml_counter(name) reports "init", "shutdown" (successful calls), "event_sets" (created
 * and not yet freed), so tests can check the binding's lifecycle, and "waits" (waits that found
 * nothing and went to sleep), so a test can tell that a poll is blocked before it acts.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_TIMEOUT 10
#define NVML_ERROR_GPU_IS_LOST 15
#define NVML_ERROR_UNKNOWN 999

#define EVENT_SINGLE_BIT_ECC 0x1ULL
#define EVENT_DOUBLE_BIT_ECC 0x2ULL
#define EVENT_XID 0x8ULL
#define SUPPORTED_EVENTS (EVENT_SINGLE_BIT_ECC | EVENT_DOUBLE_BIT_ECC | EVENT_XID)

#define MAX_GPUS 16
#define MAX_EVENTS 64

typedef int nvmlReturn_t;

struct fake_device {
    unsigned int index;
};
typedef struct fake_device *nvmlDevice_t;

struct fake_event_set {
    unsigned long long mask[MAX_GPUS];
};
typedef struct fake_event_set *nvmlEventSet_t;

typedef struct {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct {
    nvmlDevice_t device;
    unsigned long long eventType;
    unsigned long long eventData;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlEventData_t;

struct queued_event {
    unsigned int gpu;
    unsigned long long type;
    unsigned long long data;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake_device devices[MAX_GPUS];

static int configured;
static unsigned int gpu_count;
static char model[96];
static char driver[80];
static int fail_init;
static int ecc_unsupported;
static int events_unsupported;
static int lost_gpu;
static int lost_now;
static struct queued_event queue[MAX_EVENTS];
static int queued;
static int next_event;

static int refcount;
static int init_calls;
static int empty_waits; /* waits that found nothing to deliver and went to sleep */
static int shutdown_calls;
static int live_event_sets;

static void reset(void) {
    gpu_count = 2;
    snprintf(model, sizeof model, "NVIDIA H100 80GB HBM3");
    snprintf(driver, sizeof driver, "550.54.15");
    fail_init = 0;
    ecc_unsupported = 0;
    events_unsupported = 0;
    lost_gpu = -1;
    lost_now = 0;
    queued = 0;
    next_event = 0;
    refcount = 0;
    init_calls = 0;
    empty_waits = 0;
    shutdown_calls = 0;
    live_event_sets = 0;
    for (unsigned int i = 0; i < MAX_GPUS; i++) {
        devices[i].index = i;
    }
}

static int enqueue(unsigned int gpu, unsigned long long type, unsigned long long data) {
    if (queued == MAX_EVENTS) {
        return -1;
    }
    queue[queued].gpu = gpu;
    queue[queued].type = type;
    queue[queued].data = data;
    queued++;
    return 0;
}

static int apply(const char *key, const char *value) {
    unsigned int gpu;
    unsigned long long xid;
    if (strcmp(key, "gpus") == 0) {
        gpu_count = (unsigned int) strtoul(value, NULL, 10);
        return gpu_count <= MAX_GPUS ? 0 : -1;
    }
    if (strcmp(key, "model") == 0 || strcmp(key, "driver") == 0) {
        char *target = key[0] == 'm' ? model : driver;
        size_t size = key[0] == 'm' ? sizeof model : sizeof driver;
        snprintf(target, size, "%s", value);
        for (char *c = target; *c; c++) {
            if (*c == '_') {
                *c = ' ';
            }
        }
        return 0;
    }
    if (strcmp(key, "fail_init") == 0) {
        fail_init = atoi(value);
        return 0;
    }
    if (strcmp(key, "ecc_unsupported") == 0) {
        ecc_unsupported = atoi(value);
        return 0;
    }
    if (strcmp(key, "events_unsupported") == 0) {
        events_unsupported = atoi(value);
        return 0;
    }
    if (strcmp(key, "xid") == 0) {
        return sscanf(value, "%u:%llu", &gpu, &xid) == 2 ? enqueue(gpu, EVENT_XID, xid) : -1;
    }
    if (strcmp(key, "dbe") == 0 || strcmp(key, "sbe") == 0) {
        unsigned long long type = key[0] == 'd' ? EVENT_DOUBLE_BIT_ECC : EVENT_SINGLE_BIT_ECC;
        return sscanf(value, "%u", &gpu) == 1 ? enqueue(gpu, type, 0) : -1;
    }
    if (strcmp(key, "lost") == 0) {
        lost_gpu = atoi(value);
        return 0;
    }
    return -1;
}

static int configure_locked(const char *spec) {
    reset();
    configured = 1;
    if (spec == NULL) {
        return 0;
    }
    char *copy = strdup(spec);
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, " ", &save); item != NULL; item = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(item, '=');
        if (eq == NULL) {
            rc = -1;
            break;
        }
        *eq = '\0';
        if (apply(item, eq + 1) != 0) {
            rc = -1;
            break;
        }
    }
    free(copy);
    return rc;
}

/* Replaces the whole configuration and resets the counters; 0 on success, -1 for a bad setting. */
int fake_nvml_configure(const char *spec) {
    pthread_mutex_lock(&lock);
    int rc = configure_locked(spec);
    pthread_mutex_unlock(&lock);
    return rc;
}

int fake_nvml_counter(const char *name) {
    pthread_mutex_lock(&lock);
    int value = strcmp(name, "init") == 0 ? init_calls
              : strcmp(name, "shutdown") == 0 ? shutdown_calls
              : strcmp(name, "event_sets") == 0 ? live_event_sets
              : strcmp(name, "waits") == 0 ? empty_waits
              : -1;
    pthread_mutex_unlock(&lock);
    return value;
}

/* Resolves a handle for a device call: checks init, the handle and whether the GPU is lost. */
static nvmlReturn_t device_index(nvmlDevice_t device, unsigned int *index) {
    if (refcount == 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (device < devices || device >= devices + gpu_count) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (lost_now && (int) device->index == lost_gpu) {
        return NVML_ERROR_GPU_IS_LOST;
    }
    *index = device->index;
    return NVML_SUCCESS;
}

static nvmlReturn_t copy_string(const char *text, char *buffer, unsigned int length) {
    if (buffer == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (strlen(text) + 1 > length) {
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    memcpy(buffer, text, strlen(text) + 1);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void) {
    pthread_mutex_lock(&lock);
    if (!configured) {
        configure_locked(getenv("FAKE_NVML"));
    }
    nvmlReturn_t rc = NVML_ERROR_DRIVER_NOT_LOADED;
    if (!fail_init) {
        refcount++;
        init_calls++;
        rc = NVML_SUCCESS;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

nvmlReturn_t nvmlShutdown(void) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t rc = NVML_ERROR_UNINITIALIZED;
    if (refcount > 0) {
        refcount--;
        shutdown_calls++;
        rc = NVML_SUCCESS;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

const char *nvmlErrorString(nvmlReturn_t result) {
    switch (result) {
        case NVML_SUCCESS: return "Success";
        case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
        case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
        case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
        case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
        case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
        case NVML_ERROR_TIMEOUT: return "Timeout";
        case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
        default: return "Unknown Error";
    }
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t rc = refcount == 0 ? NVML_ERROR_UNINITIALIZED : copy_string(driver, version, length);
    pthread_mutex_unlock(&lock);
    return rc;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t rc = refcount == 0 ? NVML_ERROR_UNINITIALIZED
                    : count == NULL ? NVML_ERROR_INVALID_ARGUMENT
                    : NVML_SUCCESS;
    if (rc == NVML_SUCCESS) {
        *count = gpu_count;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t rc = refcount == 0 ? NVML_ERROR_UNINITIALIZED
                    : (index >= gpu_count || device == NULL) ? NVML_ERROR_INVALID_ARGUMENT
                    : NVML_SUCCESS;
    if (rc == NVML_SUCCESS) {
        *device = &devices[index];
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    pthread_mutex_lock(&lock);
    unsigned int index;
    nvmlReturn_t rc = device_index(device, &index);
    if (rc == NVML_SUCCESS) {
        char text[96];
        snprintf(text, sizeof text, "GPU-fa4e0000-0000-4000-8000-%012u", index);
        rc = copy_string(text, uuid, length);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    pthread_mutex_lock(&lock);
    unsigned int index;
    nvmlReturn_t rc = device_index(device, &index);
    if (rc == NVML_SUCCESS) {
        rc = copy_string(model, name, length);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* 81559 MiB is what an H100 80GB reports; GPU i has i+1 GiB in use. */
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    pthread_mutex_lock(&lock);
    unsigned int index;
    nvmlReturn_t rc = device_index(device, &index);
    if (rc == NVML_SUCCESS && memory == NULL) {
        rc = NVML_ERROR_INVALID_ARGUMENT;
    }
    if (rc == NVML_SUCCESS) {
        memory->total = 81559ULL << 20;
        memory->used = (unsigned long long) (index + 1) << 30;
        memory->free = memory->total - memory->used;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* GPU i is at 30 + i degrees; only the GPU die sensor (0) exists. */
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int *temp) {
    pthread_mutex_lock(&lock);
    unsigned int index;
    nvmlReturn_t rc = device_index(device, &index);
    if (rc == NVML_SUCCESS && (sensor != 0 || temp == NULL)) {
        rc = NVML_ERROR_INVALID_ARGUMENT;
    }
    if (rc == NVML_SUCCESS) {
        *temp = 30 + index;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* Telemetry: GPU i is 10 * i % busy, draws 100 + 50 * i watts, and has i uncorrected ECC errors, except
 * that GPU 1 answers NOT_SUPPORTED for ECC, as a GPU with ECC turned off does. */
typedef struct {
    unsigned int gpu;
    unsigned int memory;
} nvmlUtilization_t;

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *rates) {
    pthread_mutex_lock(&lock);
    unsigned int index;
    nvmlReturn_t rc = device_index(device, &index);
    if (rc == NVML_SUCCESS && rates == NULL) rc = NVML_ERROR_INVALID_ARGUMENT;
    if (rc == NVML_SUCCESS) {
        rates->gpu = (10 * index) % 101;
        rates->memory = 5;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *milliwatts) {
    pthread_mutex_lock(&lock);
    unsigned int index;
    nvmlReturn_t rc = device_index(device, &index);
    if (rc == NVML_SUCCESS && milliwatts == NULL) rc = NVML_ERROR_INVALID_ARGUMENT;
    if (rc == NVML_SUCCESS) *milliwatts = (100 + 50 * index) * 1000;
    pthread_mutex_unlock(&lock);
    return rc;
}

nvmlReturn_t nvmlDeviceGetTotalEccErrors(nvmlDevice_t device, int errorType, int counterType, unsigned long long *count) {
    pthread_mutex_lock(&lock);
    unsigned int index;
    nvmlReturn_t rc = device_index(device, &index);
    if (rc == NVML_SUCCESS && (count == NULL || errorType != 1 || counterType != 0)) rc = NVML_ERROR_INVALID_ARGUMENT;
    if (rc == NVML_SUCCESS && index == 1) rc = NVML_ERROR_NOT_SUPPORTED;
    if (rc == NVML_SUCCESS) *count = index;
    pthread_mutex_unlock(&lock);
    return rc;
}

nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t *set) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t rc = refcount == 0 ? NVML_ERROR_UNINITIALIZED
                    : set == NULL ? NVML_ERROR_INVALID_ARGUMENT
                    : NVML_SUCCESS;
    if (rc == NVML_SUCCESS) {
        *set = calloc(1, sizeof(struct fake_event_set));
        live_event_sets++;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* Like NVML, refuses the whole request when any requested type is unsupported. */
nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device, unsigned long long eventTypes, nvmlEventSet_t set) {
    pthread_mutex_lock(&lock);
    unsigned int index;
    nvmlReturn_t rc = device_index(device, &index);
    if (rc == NVML_SUCCESS && set == NULL) {
        rc = NVML_ERROR_INVALID_ARGUMENT;
    }
    unsigned long long supported = events_unsupported ? 0 : ecc_unsupported ? EVENT_XID : SUPPORTED_EVENTS;
    if (rc == NVML_SUCCESS && (eventTypes & ~supported) != 0) {
        rc = NVML_ERROR_NOT_SUPPORTED;
    }
    if (rc == NVML_SUCCESS) {
        set->mask[index] |= eventTypes;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t *data, unsigned int timeoutms) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t rc = refcount == 0 ? NVML_ERROR_UNINITIALIZED
                    : (set == NULL || data == NULL) ? NVML_ERROR_INVALID_ARGUMENT
                    : NVML_ERROR_TIMEOUT;
    if (rc == NVML_ERROR_TIMEOUT && lost_gpu >= 0 && !lost_now) {
        lost_now = 1;
        rc = NVML_ERROR_GPU_IS_LOST;
    }
    while (rc == NVML_ERROR_TIMEOUT && next_event < queued) {
        struct queued_event *e = &queue[next_event++];
        if (e->gpu < gpu_count && (set->mask[e->gpu] & e->type) != 0) {
            data->device = &devices[e->gpu];
            data->eventType = e->type;
            data->eventData = e->data;
            data->gpuInstanceId = 0xFFFFFFFFu;
            data->computeInstanceId = 0xFFFFFFFFu;
            rc = NVML_SUCCESS;
        }
    }
    if (rc == NVML_ERROR_TIMEOUT) {
        empty_waits++;
    }
    pthread_mutex_unlock(&lock);
    if (rc == NVML_ERROR_TIMEOUT) {
        struct timespec pause = {timeoutms / 1000, (long) (timeoutms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }
    return rc;
}

nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t rc = refcount == 0 ? NVML_ERROR_UNINITIALIZED
                    : set == NULL ? NVML_ERROR_INVALID_ARGUMENT
                    : NVML_SUCCESS;
    if (rc == NVML_SUCCESS) {
        free(set);
        live_event_sets--;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}
