package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// hostEndpointIsPrivate checks a host's named pipe: its DACL is protected
// and has one entry, for the current user (the session package's tests
// check the name and the squatting rules).
func hostEndpointIsPrivate(t *testing.T, pipe string) {
	t.Helper()
	timeout := 2 * time.Second
	c, err := winio.DialPipe(pipe, &timeout)
	if err != nil {
		t.Fatalf("open %s: %v", pipe, err)
	}
	defer c.Close()
	sd, err := windows.GetSecurityInfo(windows.Handle(c.(interface{ Fd() uintptr }).Fd()), windows.SE_KERNEL_OBJECT,
		windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatalf("security of %s: %v", pipe, err)
	}
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	sddl, me := sd.String(), u.User.Sid.String()
	if !strings.Contains(sddl, "D:P(") || strings.Count(sddl, "(A;") != 1 || !strings.Contains(sddl, ";;;"+me+")") {
		t.Fatalf("pipe %s: security %s, want one entry, for %s", pipe, sddl, me)
	}
}
