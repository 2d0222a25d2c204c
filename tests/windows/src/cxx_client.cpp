// cxx_client.cpp - a C++11 Windows program against the library's own
// p2p.h, compiled with mingw-w64's g++ and run under Wine: L"" literals
// (WCHAR is wchar_t on Windows), non-BMP text, the role GUIDs by value,
// RAII over PeerFreeData.
// Prints "PASS cxx_client" and exits 0.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "p2p.h"

namespace {

struct Freer {
    void operator()(void *p) const { PeerFreeData(p); }
};
template <class T> using PeerPtr = std::unique_ptr<T, Freer>;

bool same(PCWSTR a, PCWSTR b) {
    while (*a && *a == *b) ++a, ++b;
    return *a == *b;
}

int fail(const char *what, HRESULT hr) {
    std::printf("FAIL %s: 0x%08lx\n", what, static_cast<unsigned long>(static_cast<uint32_t>(hr)));
    return 1;
}

} // namespace

int main() {
    PEER_VERSION_DATA v;
    HRESULT hr = PeerGroupStartup(PEER_GROUP_VERSION, &v);
    if (hr != S_OK) return fail("PeerGroupStartup", hr);

    const wchar_t *friendly = L"J\u00fcrgen \u65e5\u672c \U0001F600";
    PWSTR raw = nullptr;
    if ((hr = PeerIdentityCreate(L"cxx", friendly, 0, &raw)) != S_OK)
        return fail("PeerIdentityCreate", hr);
    PeerPtr<WCHAR> me(raw);
    if ((hr = PeerIdentityGetFriendlyName(me.get(), &raw)) != S_OK) return fail("PeerIdentityGetFriendlyName", hr);
    PeerPtr<WCHAR> back(raw);
    if (!same(back.get(), friendly)) return fail("friendly name round trip", E_FAIL);

    PEER_GROUP_PROPERTIES props{};
    props.dwSize = sizeof props;
    props.pwzCreatorPeerName = me.get();
    props.pwzClassifier = const_cast<PWSTR>(L"cxx");
    props.pwzFriendlyName = const_cast<PWSTR>(L"C++ group");
    HGROUP g = nullptr;
    if ((hr = PeerGroupCreate(&props, &g)) != S_OK) return fail("PeerGroupCreate", hr);

    GUID member = PEER_GROUP_ROLE_MEMBER;
    PEER_RECORD rec{};
    rec.dwSize = sizeof rec;
    rec.type = member; // any GUID will do as a record type
    FILETIME now;
    GetSystemTimeAsFileTime(&now);
    ULARGE_INTEGER t;
    t.LowPart = now.dwLowDateTime;
    t.HighPart = now.dwHighDateTime;
    t.QuadPart += 3600ULL * 10000000ULL;
    rec.ftExpiration.dwLowDateTime = t.LowPart;
    rec.ftExpiration.dwHighDateTime = t.HighPart;
    std::string text = "from C++";
    rec.data.cbData = static_cast<ULONG>(text.size());
    rec.data.pbData = reinterpret_cast<PBYTE>(&text[0]);
    GUID id;
    if ((hr = PeerGroupAddRecord(g, &rec, &id)) != S_OK) return fail("PeerGroupAddRecord", hr);
    PEER_RECORD *got = nullptr;
    if ((hr = PeerGroupGetRecord(g, &id, &got)) != S_OK) return fail("PeerGroupGetRecord", hr);
    PeerPtr<PEER_RECORD> r(got);
    if (r->data.cbData != text.size() || std::memcmp(r->data.pbData, text.data(), text.size()) != 0)
        return fail("record data", E_FAIL);
    if ((hr = PeerGroupClose(g)) != S_OK) return fail("PeerGroupClose", hr);
    if ((hr = PeerGroupShutdown()) != S_OK) return fail("PeerGroupShutdown", hr);
    std::printf("PASS cxx_client\n");
    return 0;
}
