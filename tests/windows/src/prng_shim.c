/*
 * bcryptprimitives.dll for Wine 8 (test only; never shipped).
 *
 * Go 1.22 and later take their random numbers from ProcessPrng in
 * bcryptprimitives.dll, which Wine 8 lacks, and load it from system32
 * only: a Go program or DLL dies at start-up with "bcryptprimitives.dll
 * not found". This shim provides ProcessPrng over RtlGenRandom. It is
 * copied into the test WINEPREFIX's system32 by tests/windows/prefix.sh.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE p, SIZE_T n)
{
    while (n) {
        ULONG k = n > 0x10000000 ? 0x10000000 : (ULONG)n;
        if (!RtlGenRandom(p, k))
            return FALSE;
        p += k;
        n -= k;
    }
    return TRUE;
}
