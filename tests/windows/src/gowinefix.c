/*
 * gowinefix.dll for Wine 8 (test only; never shipped).
 *
 * Two calls of Go's runtime library fail under Wine 8 where Windows
 * succeeds; the winefix test build (tests/windows/winefix/) points Go's
 * calls at these wrappers instead:
 *  - WSAIoctl: Go 1.24+ sets SIO_UDP_NETRESET on every UDP socket, which
 *    Wine 8 refuses with WSAEOPNOTSUPP, so net.ListenUDP (and quic-go)
 *    fail. The wrapper treats that one code as done and forwards the rest.
 *  - NtSetInformationFile: os.Remove uses FileDispositionInformationEx
 *    (class 64), which Wine 8 answers with STATUS_NOT_IMPLEMENTED where Go
 *    only falls back on STATUS_NOT_SUPPORTED. The wrapper returns
 *    STATUS_NOT_SUPPORTED for class 64, so Go falls back to the old call.
 */
#include <winsock2.h>
#include <windows.h>

#define SIO_UDP_NETRESET_ _WSAIOW(IOC_VENDOR, 15)

__declspec(dllexport) int WINAPI WSAIoctl_fix(SOCKET s, DWORD code, LPVOID in, DWORD cbIn, LPVOID out,
    DWORD cbOut, LPDWORD ret, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done)
{
    if (code == SIO_UDP_NETRESET_) {
        if (ret)
            *ret = 0;
        return 0;
    }
    return WSAIoctl(s, code, in, cbIn, out, cbOut, ret, ov, done);
}

typedef LONG (WINAPI *NtSetInformationFile_t)(HANDLE, PVOID, PVOID, ULONG, ULONG);

__declspec(dllexport) LONG WINAPI NtSetInformationFile_fix(HANDLE h, PVOID iosb, PVOID info, ULONG len, ULONG cls)
{
    static NtSetInformationFile_t real;
    if (cls == 64) /* FileDispositionInformationEx */
        return (LONG)0xC00000BB; /* STATUS_NOT_SUPPORTED */
    if (!real)
        real = (NtSetInformationFile_t)GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtSetInformationFile");
    return real(h, iosb, info, len, cls);
}
