package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	strictOnce sync.Once
	strictSB   *Sandbox
	strictErr  error
)

// strict is one strict sandbox shared by the tests: this machine's kernel
// grants every layer, and a test that cannot have them fails.
func strict(t *testing.T) *Sandbox {
	t.Helper()
	strictOnce.Do(func() { strictSB, strictErr = New(context.Background(), Config{Mode: Strict}) })
	if strictErr != nil {
		t.Fatalf("strict sandbox: %v", strictErr)
	}
	return strictSB
}

func TestIsolationIsFullAndRecorded(t *testing.T) {
	iso := strict(t).Isolation()
	if !iso.Full() {
		t.Fatalf("isolation not full: %s", iso)
	}
	if got := strings.Join(iso.Namespaces, ","); got != "user,pid,net,mount,ipc,uts" {
		t.Errorf("namespaces %q", got)
	}
	if iso.Landlock < 1 || !iso.Seccomp || !iso.TmpfsWorkdir || !iso.CapabilitiesDropped {
		t.Errorf("layers missing: %s", iso)
	}
	m := iso.Map()
	for _, k := range []string{"namespaces", "landlock_abi", "seccomp", "rlimits", "python", "user"} {
		if _, ok := m[k]; !ok {
			t.Errorf("Map() lacks %q", k)
		}
	}
	if iso.Rlimits["RLIMIT_AS"] != 4<<30 || iso.Rlimits["RLIMIT_NPROC"] == 0 {
		t.Errorf("rlimits %v", iso.Rlimits)
	}
}

func TestStrictRefusesMissingLayers(t *testing.T) {
	for _, l := range []Layer{LayerLandlock, LayerSeccomp, LayerNetNS} {
		_, err := New(context.Background(), Config{Mode: Strict, unavailable: []Layer{l}})
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Fatalf("without %s: err = %v, want a RefusedError", l, err)
		}
		if !strings.Contains(err.Error(), string(l)) || !strings.Contains(err.Error(), "--sandbox=best-effort") {
			t.Errorf("refusal does not say what is missing and how to go on: %v", err)
		}
	}
	// Asked for explicitly, reduced isolation runs and says what it lacks.
	sb, err := New(context.Background(), Config{Mode: BestEffort, unavailable: []Layer{LayerLandlock}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	iso := sb.Isolation()
	if iso.Full() || iso.Landlock != 0 || len(iso.Missing) != 1 {
		t.Errorf("best-effort without landlock: %s", iso)
	}
	res, err := sb.Run(context.Background(), Program{Source: "print(6*7)"})
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "42" {
		t.Errorf("run: %v %+v", err, res)
	}
	// --sandbox=none: rlimits, process group, fresh directory, clean
	// environment and (as root) the nobody user only.
	none, err := New(context.Background(), Config{Mode: None})
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	if iso := none.Isolation(); iso.Full() || len(iso.Namespaces) > 0 || iso.Landlock != 0 || iso.Seccomp {
		t.Errorf("none: %s", iso)
	}
	res, err = none.Run(context.Background(), Program{Source: "import os; print(os.getuid(), 'OPENAI_API_KEY' in os.environ)"})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d False", os.Getuid())
	if os.Geteuid() == 0 {
		want = "65534 False"
	}
	if got := strings.TrimSpace(string(res.Stdout)); got != want {
		t.Errorf("none: %q, want %q", got, want)
	}
}

func TestRunBasics(t *testing.T) {
	sb := strict(t)
	ctx := context.Background()
	res, err := sb.Run(ctx, Program{
		Source: "import os, sys\nprint(sys.stdin.read().upper(), sys.argv[1:])\nos.write(3, b'on the channel')\nprint('err', file=sys.stderr)\nsys.exit(3)",
		Args:   []string{"a", "b"},
		Stdin:  strings.NewReader("hello"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Exited || res.ExitCode != 3 || strings.TrimSpace(string(res.Stdout)) != "HELLO ['a', 'b']" ||
		string(res.Channel) != "on the channel" || strings.TrimSpace(string(res.Stderr)) != "err" {
		t.Errorf("got %+v stdout %q stderr %q channel %q", res, res.Stdout, res.Stderr, res.Channel)
	}
	res, err = sb.Run(ctx, Program{Source: "import os; print(os.getuid(), os.getpid(), sorted(os.environ))"})
	if err != nil {
		t.Fatal(err)
	}
	// uid 0 of its own namespace (nobody outside), PID 1 of its own.
	want := "0 1 ['HOME', 'LANG', 'LC_ALL', 'PATH', 'PYTHONDONTWRITEBYTECODE', 'PYTHONHASHSEED', 'TMPDIR']"
	if got := strings.TrimSpace(string(res.Stdout)); got != want {
		t.Errorf("identity and environment: %q, want %q", got, want)
	}
}

func TestSetupFailureIsAnErrorOfTheRun(t *testing.T) {
	_, err := New(context.Background(), Config{Mode: Strict, Python: "/nonexistent/python3", PythonExplicit: true})
	if err == nil {
		t.Fatal("a missing interpreter must be an error, not a failed program")
	}
	sb := strict(t)
	broken := *sb
	broken.python.Executable = "/nonexistent/python3"
	_, err = broken.Run(context.Background(), Program{Source: "pass"})
	var se *SetupError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a SetupError", err)
	}
}

// TestHostilePrograms: each program attacks the machine, parity or the
// network; each must be contained, and the next run must work as usual.
// hostileUID is the user of TestHostilePrograms's own sandbox, so its check
// for leftover processes cannot see programs other packages' tests run
// concurrently as the default user.
const hostileUID = 64999

func TestHostilePrograms(t *testing.T) {
	ctx := context.Background()
	sb, err := New(ctx, Config{Mode: Strict, UID: hostileUID, GID: hostileUID})
	if err != nil {
		t.Fatalf("strict sandbox: %v", err)
	}
	defer sb.Close()
	secret := "sk-parity-test-" + fmt.Sprint(time.Now().UnixNano())
	t.Setenv("OPENAI_API_KEY", secret)
	t.Setenv("HF_TOKEN", secret)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted sync.WaitGroup
	connected := make(chan struct{}, 10)
	accepted.Add(1)
	go func() {
		defer accepted.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connected <- struct{}{}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port

	// Stand-ins for parity's working directory and its cache.
	home := t.TempDir()
	os.Chmod(home, 0o755)
	precious := filepath.Join(home, "responses.db")
	if err := os.WriteFile(precious, []byte("cache"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(os.TempDir(), fmt.Sprintf("parity-escape-%d", time.Now().UnixNano()))
	defer os.Remove(outside)

	cases := []struct {
		name  string
		src   string
		wall  time.Duration
		check func(t *testing.T, r *Result)
	}{
		{"socket", fmt.Sprintf(`
import socket
for host in ("127.0.0.1", "8.8.8.8", "::1"):
    try:
        socket.create_connection((host, %d), timeout=1)
        print("CONNECTED", host)
    except OSError as e:
        print("blocked", host, e)
`, port), 5 * time.Second, func(t *testing.T, r *Result) {
			if strings.Contains(string(r.Stdout), "CONNECTED") {
				t.Errorf("reached the network: %s", r.Stdout)
			}
		}},
		{"fork bomb", `
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
`, 2 * time.Second, func(t *testing.T, r *Result) {
			if r.Status != TimedOut {
				t.Errorf("status %s", r.Status)
			}
		}},
		{"allocate 50 GB", `
try:
    x = bytearray(50 * 2**30)
    print("ALLOCATED")
except MemoryError:
    print("MemoryError")
`, 10 * time.Second, func(t *testing.T, r *Result) {
			if strings.TrimSpace(string(r.Stdout)) != "MemoryError" || r.MaxRSS > 1<<30 {
				t.Errorf("stdout %q maxrss %d", r.Stdout, r.MaxRSS)
			}
		}},
		{"write 10 GB", `
import os
n = 0
try:
    with open("big", "wb") as f:
        chunk = b"x" * (1 << 20)
        while n < 10 * 2**30:
            f.write(chunk)
            n += len(chunk)
except OSError as e:
    print("stopped", n, e.errno)
print("wrote", n)
`, 20 * time.Second, func(t *testing.T, r *Result) {
			if strings.Contains(string(r.Stdout), "wrote 10737418240") {
				t.Errorf("wrote 10 GB: %s", r.Stdout)
			}
		}},
		{"write outside", fmt.Sprintf(`
for p in (%q, %q, "/etc/parity-escape", "/root/parity-escape", "/dev/shm/parity-escape"):
    try:
        open(p, "w").write("x")
        print("WROTE", p)
    except OSError as e:
        print("denied", p, e.errno)
`, outside, filepath.Join(home, "new-file")), 5 * time.Second, func(t *testing.T, r *Result) {
			if strings.Contains(string(r.Stdout), "WROTE") {
				t.Errorf("wrote outside its directory: %s", r.Stdout)
			}
			if _, err := os.Stat(outside); err == nil {
				t.Errorf("%s exists", outside)
			}
		}},
		{"read secrets", fmt.Sprintf(`
import os
print(os.environ.get("OPENAI_API_KEY"), os.environ.get("HF_TOKEN"))
for p in ("/proc/%d/environ", "/proc/1/environ", "/proc/self/environ", %q):
    try:
        print(open(p, "rb").read())
    except OSError as e:
        print("denied", p, e.errno)
`, os.Getpid(), precious), 5 * time.Second, func(t *testing.T, r *Result) {
			if strings.Contains(string(r.Stdout), secret) || strings.Contains(string(r.Stdout), "cache") {
				t.Errorf("read a secret or the cache: %s", r.Stdout)
			}
		}},
		{"kill its parent", fmt.Sprintf(`
import os, signal
for pid in (os.getppid(), %d, 1, -1):
    try:
        os.kill(pid, signal.SIGKILL)
        print("sent", pid)
    except OSError as e:
        print("denied", pid, e.errno)
print("still here")
`, os.Getpid()), 5 * time.Second, func(t *testing.T, r *Result) {
			// The test process is still alive to check this.
		}},
		{"print without end", `
import os
while True:
    os.write(1, b"x" * 65536)
`, 20 * time.Second, func(t *testing.T, r *Result) {
			if r.Status != OutputLimit || r.Wall > 10*time.Second {
				t.Errorf("status %s after %v", r.Status, r.Wall)
			}
		}},
		{"sleep forever", `
import time
time.sleep(10**6)
`, time.Second, func(t *testing.T, r *Result) {
			if r.Status != TimedOut || r.Wall > 3*time.Second {
				t.Errorf("status %s after %v", r.Status, r.Wall)
			}
		}},
		{"escape the process group", `
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(10**6)
os._exit(0)
`, 3 * time.Second, func(t *testing.T, r *Result) {
			if r.Wall > 2*time.Second {
				t.Errorf("run waited %v for an escaped child", r.Wall)
			}
		}},
		{"delete parity's files", fmt.Sprintf(`
import os, shutil
for f in (%q,):
    try:
        os.remove(f)
        print("REMOVED", f)
    except OSError as e:
        print("denied", f, e.errno)
try:
    shutil.rmtree(%q)
    print("REMOVED tree")
except OSError as e:
    print("denied tree", e.errno)
`, precious, home), 5 * time.Second, func(t *testing.T, r *Result) {
			if b, err := os.ReadFile(precious); err != nil || string(b) != "cache" {
				t.Errorf("parity's file harmed: %v %q (%s)", err, b, r.Stdout)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			res, err := sb.Run(ctx, Program{Source: c.src, Limits: Limits{Wall: c.wall}})
			if err != nil {
				t.Fatalf("the sandbox failed: %v", err)
			}
			if time.Since(start) > c.wall+3*time.Second {
				t.Errorf("took %v with a %v limit", time.Since(start), c.wall)
			}
			c.check(t, res)
			t.Logf("%s; stdout %q", res.Describe(), tail(res.Stdout, 300))
			// Contained means the sandbox still works.
			after, err := sb.Run(ctx, Program{Source: "print('ok')"})
			if err != nil || strings.TrimSpace(string(after.Stdout)) != "ok" {
				t.Fatalf("the next run: %v %+v", err, after)
			}
		})
	}
	select {
	case <-connected:
		t.Error("a sandboxed program connected to the host's listener")
	default:
	}
	if leftovers := processesOf(hostileUID); len(leftovers) > 0 && os.Geteuid() == 0 {
		t.Errorf("processes of the sandbox user left running: %v", leftovers)
	}
}

// processesOf lists the pids whose real uid is uid.
func processesOf(uid int) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc", e.Name()), &st) == nil && int(st.Uid) == uid && e.Name()[0] >= '0' && e.Name()[0] <= '9' {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestCancelKillsTheRun(t *testing.T) {
	sb := strict(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := sb.Run(ctx, Program{Source: "import time; time.sleep(100)", Limits: Limits{Wall: time.Minute}})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err %v after %v", err, time.Since(start))
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if strictSB != nil {
		strictSB.Close()
	}
	os.Exit(code)
}
