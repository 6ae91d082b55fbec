// The C side of the Go callbacks: functions of the exact deep.h callback types that pass
// the call on to the exported Go trampolines (callbacks.go). user is a runtime/cgo.Handle,
// never a Go pointer.
#include <stdint.h>
#include <deep.h>
#include "_cgo_export.h"

static int32_t batch_trampoline(void *user, int64_t epoch, int64_t batch, double loss)
{
    return goDeepBatch((uintptr_t)user, epoch, batch, loss);
}

static int32_t epoch_trampoline(void *user, deep_model *model, int64_t epoch)
{
    return goDeepEpoch((uintptr_t)user, model, epoch);
}

static void log_trampoline(void *user, deep_log_level level, const char *message)
{
    goDeepLog((uintptr_t)user, (int32_t)level, (char *)message);
}

deep_status go_deep_set_callbacks(deep_model *model, uintptr_t user)
{
    if (user == 0)
        return deep_model_set_callbacks(model, NULL, NULL, NULL);
    return deep_model_set_callbacks(model, batch_trampoline, epoch_trampoline, (void *)user);
}

deep_status go_deep_set_log(deep_model *model, uintptr_t user)
{
    if (user == 0)
        return deep_model_set_log(model, NULL, NULL);
    return deep_model_set_log(model, log_trampoline, (void *)user);
}

deep_status go_deep_set_console_log(deep_model *model)
{
    return deep_model_set_log(model, deep_log_console, NULL);
}
