package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"p2p/core/dht"
	"p2p/core/service"
)

// settings are what the library takes from the environment. They are read
// once, at the process's first PeerGroupStartup, and passed down as
// options: no package below this one reads the environment.
type settings struct {
	home    string     // the data directory
	log     slog.Level // with logOn: the least level logged on stderr
	logOn   bool
	service service.Options
}

// readSettings reads the library's environment variables through getenv
// (the C environment; see environ_unix.go). README.md lists them. A new
// variable is a field in the Options of the layer it configures, one line
// here, a case in environ_test.go and a row in README's table.
func readSettings(getenv func(string) string) (settings, error) {
	var s settings
	home, err := dataHome(getenv)
	if err != nil {
		return s, err
	}
	s.home = home
	switch strings.ToLower(getenv("P2P_LOG")) {
	case "debug":
		s.log, s.logOn = slog.LevelDebug, true
	case "info":
		s.log, s.logOn = slog.LevelInfo, true
	}
	m := &s.service.Mesh
	m.Listen = getenv("P2P_LISTEN")                  // "": every interface
	m.Degree, _ = strconv.Atoi(getenv("P2P_DEGREE")) // 0: the default
	m.Discovery = flag(getenv("P2P_DISCOVERY") != "0")
	m.PortMapping = flag(getenv("P2P_PORTMAP") == "1")
	m.Relay.Off = getenv("P2P_RELAY") == "0"
	m.Relay.Rate, _ = strconv.ParseInt(getenv("P2P_RELAY_RATE"), 10, 64) // 0: the default
	dhtOptions := dht.ParseOptions(getenv)                               // P2P_DHT and P2P_DHT_BOOTSTRAP
	m.DHT = &dhtOptions
	return s, nil
}

func flag(on bool) *bool { return &on }

// dataHome is the data directory: $P2P_HOME if set; else
// $XDG_DATA_HOME/p2p (default ~/.local/share/p2p) on POSIX and
// %LOCALAPPDATA%\p2p on Windows. Separate directories are separate users.
func dataHome(getenv func(string) string) (string, error) {
	if h := getenv("P2P_HOME"); h != "" {
		return h, nil
	}
	if runtime.GOOS == "windows" {
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "p2p"), nil
		}
	} else if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "p2p"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the data directory: %w", err)
	}
	if runtime.GOOS == "windows" {
		return filepath.Join(home, "AppData", "Local", "p2p"), nil
	}
	return filepath.Join(home, ".local", "share", "p2p"), nil
}

// setupLogging sends structured logs to stderr from the level s asks for
// (P2P_LOG=debug or info); they are off otherwise.
func setupLogging(s settings) {
	if !s.logOn {
		slog.SetDefault(slog.New(slog.DiscardHandler))
		return
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: s.log})))
}
