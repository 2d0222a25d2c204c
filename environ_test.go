package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"testing"

	"p2p/core/dht"
	"p2p/core/mesh"
	"p2p/core/service"
)

// TestReadSettings checks what each variable becomes: every one README.md
// lists in its environment table is read, and nothing else is.
func TestReadSettings(t *testing.T) {
	on, off := true, false
	home := "/data/p2p"
	for _, c := range []struct {
		name string
		env  map[string]string
		want settings
	}{
		{"defaults", nil, settings{home: home,
			service: service.Options{Mesh: mesh.Options{Discovery: &on, PortMapping: &off, DHT: &dht.Options{}}}}},
		{"all set", map[string]string{
			"P2P_LISTEN": "127.0.0.1:0", "P2P_DEGREE": "2", "P2P_DISCOVERY": "0", "P2P_PORTMAP": "1",
			"P2P_RELAY": "0", "P2P_RELAY_RATE": "4096", "P2P_LOG": "DEBUG",
			"P2P_DHT": "0", "P2P_DHT_BOOTSTRAP": "10.0.0.1:6881, node.example:6881",
		}, settings{home: home, log: slog.LevelDebug, logOn: true, service: service.Options{Mesh: mesh.Options{
			Listen: "127.0.0.1:0", Degree: 2, Discovery: &off, PortMapping: &on,
			Relay: mesh.RelayOptions{Off: true, Rate: 4096},
			DHT:   &dht.Options{Off: true, Bootstrap: []string{"10.0.0.1:6881", "node.example:6881"}}}}}},
		{"values that mean the default", map[string]string{
			"P2P_DEGREE": "many", "P2P_DISCOVERY": "1", "P2P_PORTMAP": "yes", "P2P_RELAY": "1",
			"P2P_DHT": "1", "P2P_RELAY_RATE": "fast", "P2P_LOG": "warn",
		}, settings{home: home, service: service.Options{Mesh: mesh.Options{Discovery: &on, PortMapping: &off, DHT: &dht.Options{}}}}},
		{"info logs", map[string]string{"P2P_LOG": "info"}, settings{home: home, log: slog.LevelInfo, logOn: true,
			service: service.Options{Mesh: mesh.Options{Discovery: &on, PortMapping: &off, DHT: &dht.Options{}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var read []string
			getenv := func(k string) string {
				read = append(read, k)
				if k == "P2P_HOME" {
					return home
				}
				return c.env[k]
			}
			got, err := readSettings(getenv)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
			if documented := readmeVariables(t); !slices.Equal(sorted(read), documented) {
				t.Errorf("read %v; README.md documents %v", sorted(read), documented)
			}
		})
	}
}

// TestDataHome checks the data directory's fallbacks.
func TestDataHome(t *testing.T) {
	env := map[string]string{"P2P_HOME": "", "XDG_DATA_HOME": "/xdg", "LOCALAPPDATA": `C:\Users\u\AppData\Local`}
	want := filepath.Join("/xdg", "p2p")
	if runtime.GOOS == "windows" {
		want = filepath.Join(env["LOCALAPPDATA"], "p2p")
	}
	if got, err := dataHome(func(k string) string { return env[k] }); err != nil || got != want {
		t.Errorf("dataHome = %q, %v; want %q", got, err, want)
	}
	env["P2P_HOME"] = "/elsewhere"
	if got, _ := dataHome(func(k string) string { return env[k] }); got != "/elsewhere" {
		t.Errorf("P2P_HOME ignored: %q", got)
	}
	if runtime.GOOS != "windows" {
		h, err := os.UserHomeDir()
		if err != nil {
			t.Skip(err)
		}
		if got, _ := dataHome(func(string) string { return "" }); got != filepath.Join(h, ".local", "share", "p2p") {
			t.Errorf("default = %q", got)
		}
	}
}

// readmeVariables lists the P2P_ variables of README.md's environment
// table, sorted.
func readmeVariables(t *testing.T) []string {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(P2P_[A-Z_]+)` \\|").FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	return sorted(out)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
