# p2p: the Windows Peer Grouping API as a portable C library written in Go.
#
#   make           build build/libp2p.so (+ p2p.h beside it) and run the demo
#   make test      install what the tests need, then run every test
#   make windows   cross-build build/windows/p2p.dll with mingw-w64
#   make wine      the Wine test build of p2p.dll and a fresh Wine prefix
#   make bench     run the benchmarks (not part of CI)
#   make fuzz      run every fuzz target for FUZZTIME each (not part of CI)
#   make soak      five members for SOAK (default 10m) under churn (not part of CI)
#   make install   install the library, p2p.h and p2p.pc under PREFIX
#                  (default /usr/local; DESTDIR for staging); make uninstall
#   make dotnet    build the .NET library build/dotnet/P2P.Net.dll with Mono's mcs
#   make version   print the version (P2P_VERSION_* in p2p.h)

GO      ?= go
BUILD   := build
SO      := $(BUILD)/libp2p.so
SOMAJOR := 1
SONAME  := libp2p.so.$(SOMAJOR)
DLL     := $(BUILD)/windows/p2p.dll
MINGW   := x86_64-w64-mingw32-gcc
WINE    := /usr/lib/wine/wine64
WINEDIR := $(BUILD)/wine
WINEDLL := $(WINEDIR)/p2p.dll
APT_PKGS := gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64-win32 mingw-w64-x86-64-dev wine64 wine electric-fence python3 \
	python3-venv python3-pip python3-setuptools python3-wheel python3-pytest pkg-config mono-mcs mono-runtime
GOSRC   := $(shell find . -name '*.go' -not -path './build/*' -not -path './bench/*' -not -path './tests/*' -not -name '*_test.go') go.mod go.sum p2p.h p2p.def libp2p.map

export CGO_ENABLED := 1

# Tests, benchmarks and the demo keep out of the public mainline DHT:
# P2P_DHT=0 for everything they start; the DHT tests and benchmark turn
# it on with a private swarm of their own (P2P_DHT_BOOTSTRAP).
demo gotest wine-gotest test-install test-chat test-python test-dotnet bench soak: export P2P_DHT := 0

.PHONY: all build demo windows wine wine-prefix wine-gotest test deps vet gotest bench fuzz soak clean \
	install uninstall version dotnet test-install test-chat test-python test-dotnet

# The version is written once, in p2p.h (P2P_VERSION_MAJOR/MINOR/PATCH).
VERSION := $(shell awk '/^.define P2P_VERSION_(MAJOR|MINOR|PATCH) /{v = v (v == "" ? "" : ".") $$3} END {print v}' p2p.h)

# Where make install puts things; DESTDIR prefixes them all (staging).
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DOCDIR     ?= $(PREFIX)/share/doc/p2p

all: build demo

build: $(SO)

# libp2p.so.1 (SONAME libp2p.so.1) exports only the API (libp2p.map);
# libp2p.so is the link programs build against.
$(SO): $(GOSRC)
	@mkdir -p $(BUILD)
	$(GO) build -buildmode=c-shared -trimpath \
		-ldflags="-extldflags '-Wl,-soname,$(SONAME) -Wl,--version-script=$(CURDIR)/libp2p.map'" \
		-o $(BUILD)/$(SONAME) .
	@rm -f $(BUILD)/libp2p.so.h       # the cgo header is not the public one
	ln -sf $(SONAME) $(SO)
	cp p2p.h $(BUILD)/p2p.h

# demo: three member processes on 127.0.0.1 create, invite, join, connect
# and exchange records (examples/demo/demo.c).
demo: $(BUILD)/demo
	P2P_DISCOVERY=0 $(BUILD)/demo

$(BUILD)/demo: examples/demo/demo.c $(SO)
	$(CC) -std=c11 -Wall -Wextra -O2 -I$(BUILD) $< -o $@ -L$(BUILD) -lp2p -Wl,-rpath,'$$ORIGIN'

windows: $(DLL)

# DLL_EXPORTS makes p2p.dll export exactly p2p.def: the first flag keeps Go
# from passing its own list (every //export, go-sqlite3's callbacks
# included), the second turns off exporting everything, and p2p.def lists
# what to export.
DLL_EXPORTS = -Wl,--export-all-symbols -Wl,--exclude-all-symbols $(CURDIR)/p2p.def

$(DLL): $(GOSRC)
	@mkdir -p $(BUILD)/windows
	GOOS=windows GOARCH=amd64 CC=$(MINGW) $(GO) build -buildmode=c-shared -trimpath \
		-ldflags="-s -w -extldflags '$(DLL_EXPORTS) -Wl,--out-implib,$(CURDIR)/$(BUILD)/windows/libp2p.dll.a'" -o $(DLL) .
	@rm -f $(BUILD)/windows/p2p.h
	cp p2p.h $(BUILD)/windows/p2p.h

# The Wine test build of p2p.dll: the release build plus two test-only
# workarounds for Wine 8 (tests/windows/winefix), which -overlay adds to
# the standard library's syscall packages; nothing of them is in the
# library's own packages or in $(DLL) (tests/windows checks that).
$(WINEDIR)/overlay.json: tests/windows/winefix/syscall_winefix.go tests/windows/winefix/windows_winefix.go
	@mkdir -p $(WINEDIR)
	@root=$$($(GO) env GOROOT); printf '{"Replace": {\n "%s": "%s",\n "%s": "%s"\n}}\n' \
		"$$root/src/syscall/zz_winefix_windows.go" "$(CURDIR)/tests/windows/winefix/syscall_winefix.go" \
		"$$root/src/internal/syscall/windows/zz_winefix_windows.go" "$(CURDIR)/tests/windows/winefix/windows_winefix.go" >$@

WINEFIX = -tags winefix -overlay $(CURDIR)/$(WINEDIR)/overlay.json

$(WINEDLL): $(GOSRC) $(WINEDIR)/overlay.json
	GOOS=windows GOARCH=amd64 CC=$(MINGW) $(GO) build -buildmode=c-shared -trimpath $(WINEFIX) \
		-ldflags="-s -w -extldflags '$(DLL_EXPORTS) -Wl,--out-implib,$(CURDIR)/$(WINEDIR)/libp2p.dll.a'" -o $@ .
	@rm -f $(WINEDIR)/p2p.h

# wine-prefix makes a fresh Wine prefix with the test shims built from
# tests/windows.
wine-prefix:
	bash tests/windows/prefix.sh $(WINEDIR)/prefix

wine: $(WINEDLL) wine-prefix

# wine-gotest runs the Go tests of the core packages as Windows programs
# under Wine.
wine-gotest: wine
	WINEPREFIX=$(CURDIR)/$(WINEDIR)/prefix GOOS=windows GOARCH=amd64 CC=$(MINGW) $(GO) test -count=1 -timeout 15m \
		$(WINEFIX) -exec $(CURDIR)/tests/windows/wine-exec ./core/... ./handles/...

# deps installs what the tests need when it is missing (Debian packages):
# the mingw-w64 C and C++ cross compilers and Windows headers, Wine 8,
# Electric Fence, Python 3 with venv, pip, setuptools, wheel and pytest
# (the package tests), pkg-config, Mono's mcs and runtime; and the Go
# modules.
deps:
	@if ! command -v $(MINGW) >/dev/null || [ ! -f /usr/share/mingw-w64/include/p2p.h ] || ! command -v python3 >/dev/null \
		|| ! command -v x86_64-w64-mingw32-g++ >/dev/null || [ ! -x $(WINE) ] || [ ! -e /usr/lib/libefence.so.0 ] \
		|| ! command -v pkg-config >/dev/null || ! command -v mcs >/dev/null || ! command -v mono >/dev/null \
		|| ! /usr/bin/python3 -c 'import ensurepip, venv, setuptools, wheel, pytest' >/dev/null 2>&1; then \
		echo "installing $(APT_PKGS)"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PKGS) \
		|| { $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PKGS); }; \
	fi
	$(GO) mod download

# vet: go.mod tidy, go vet and staticcheck (honnef.co/go/tools, pinned
# here and installed into build/tools, so go.mod stays the library's own),
# each for Linux and for Windows.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(CURDIR)/$(BUILD)/tools/staticcheck

vet:
	$(GO) mod tidy -diff
	$(GO) vet ./...
	GOOS=windows CC=$(MINGW) $(GO) vet . ./core/... ./handles/...
	GOBIN=$(CURDIR)/$(BUILD)/tools $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...
	GOOS=windows CC=$(MINGW) $(STATICCHECK) . ./core/... ./handles/...

# gotest's C, Wine and package tests load what build, windows and wine
# make, so it makes them first (up to date, they cost nothing).
gotest: build windows wine
	P2P_WINEPREFIX=$(CURDIR)/$(WINEDIR)/prefix $(GO) test -race -count=1 -timeout 20m ./...

test: deps vet build windows wine gotest wine-gotest test-install test-python test-dotnet
	@echo "all tests passed"

bench: build
	bash bench/run.sh

# fuzz runs each Go fuzz target (func Fuzz* in a _test.go file) in turn;
# tests/fuzz.sh tells a found crash from go1.26's deadline flake.
FUZZTIME ?= 30s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash tests/fuzz.sh

# soak runs five member processes for SOAK (tests/net TestSoak): records
# and direct messages all the time while two members are killed with
# SIGKILL and restarted in turn; it prints each member's RSS, descriptors,
# threads and goroutines every minute and fails if the members that stay
# up grow or an acknowledged record is missing anywhere.
SOAK ?= 10m
soak: build
	P2P_SOAK=$(SOAK) $(GO) test -count=1 -run '^TestSoak$$' -v -timeout 0 ./tests/net/

version:
	@echo $(VERSION)

# install: the library under its SONAME and the link programs build
# against, the header, a pkg-config file, and the licences. ldconfig runs
# when root installs into a system library directory (no DESTDIR), so that
# the loader finds a library in /usr/local/lib at once.
LDCONFIG = if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
		case "$(LIBDIR)" in /usr/local/lib|/usr/local/lib64|/usr/lib|/usr/lib64|/usr/lib/*|/lib|/lib/*) ldconfig;; esac; fi
install: build
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libp2p.so
	install -m 0644 p2p.h $(DESTDIR)$(INCLUDEDIR)/p2p.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
		-e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
		p2p.pc.in > $(BUILD)/p2p.pc
	install -m 0644 $(BUILD)/p2p.pc $(DESTDIR)$(PKGCONFIGDIR)/p2p.pc
	install -m 0644 LICENSE THIRD_PARTY_NOTICES.md $(DESTDIR)$(DOCDIR)/
	@$(LDCONFIG)

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libp2p.so $(DESTDIR)$(INCLUDEDIR)/p2p.h \
		$(DESTDIR)$(PKGCONFIGDIR)/p2p.pc $(DESTDIR)$(DOCDIR)/LICENSE $(DESTDIR)$(DOCDIR)/THIRD_PARTY_NOTICES.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	@$(LDCONFIG)

# dotnet: the C# library (bindings/dotnet) built with Mono's mcs for the
# tests; dotnet users build bindings/dotnet/P2P.Net.csproj instead. Both take
# the assembly version from p2p.h.
DOTNET := $(BUILD)/dotnet
DOTNET_SRC := $(wildcard bindings/dotnet/src/*.cs)
dotnet: $(DOTNET)/P2P.Net.dll

$(DOTNET)/P2P.Net.dll: $(DOTNET_SRC) bindings/dotnet/P2P.Net.dll.config p2p.h
	@mkdir -p $(DOTNET)
	printf '[assembly: System.Reflection.AssemblyVersion("%s")]\n[assembly: System.Reflection.AssemblyInformationalVersion("%s")]\n' \
		$(VERSION).0 $(VERSION) > $(DOTNET)/AssemblyVersion.cs
	mcs -nologo -warnaserror -target:library -doc:$(DOTNET)/P2P.Net.xml -out:$@ $(DOTNET_SRC) $(DOTNET)/AssemblyVersion.cs
	cp bindings/dotnet/P2P.Net.dll.config $(DOTNET)/

# The tests of the packages, each from outside the repository: the C
# install with pkg-config (and the chat example, driven as two members),
# the Python package installed into a virtual environment, and the .NET
# library in a two-process flow under Mono.
test-install: build
	bash tests/pkg/install.sh

test-chat: build
	bash tests/pkg/install.sh chat

test-python: build
	bash tests/pkg/python.sh

test-dotnet: build dotnet
	bash tests/pkg/dotnet.sh

clean:
	rm -rf $(BUILD)
