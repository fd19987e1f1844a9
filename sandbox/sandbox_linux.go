package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/elastic/go-seccomp-bpf"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// Sandbox runs programs with the isolation New obtained. It is safe for
// concurrent use; Close removes its directory.
type Sandbox struct {
	cfg    Config
	exe    string
	root   string // parent of the work directories
	layers map[Layer]bool
	uid    int
	gid    int
	python pythonInfo
	iso    Isolation
}

type pythonInfo struct {
	Executable string   `json:"executable"`
	Version    string   `json:"version"`
	Dirs       []string `json:"dirs"`
}

// SetupError is a failure of the sandbox itself (not of the program): the
// helper could not set a layer up, or could not start the interpreter.
type SetupError struct {
	Layer string
	Msg   string
}

func (e *SetupError) Error() string {
	return fmt.Sprintf("sandbox setup failed at %s: %s", e.Layer, e.Msg)
}

// New prepares a sandbox: it resolves the interpreter, probes which layers
// the kernel grants by running a trivial program with all of them, and in
// Strict mode refuses (a *RefusedError) when any is missing.
func New(ctx context.Context, cfg Config) (*Sandbox, error) {
	if cfg.Mode == "" {
		cfg.Mode = Strict
	}
	if _, err := ParseMode(string(cfg.Mode)); err != nil {
		return nil, err
	}
	if cfg.Python == "" {
		cfg.Python = "python3"
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.Executable == "" {
		cfg.Executable = "/proc/self/exe"
	}
	s := &Sandbox{cfg: cfg, exe: cfg.Executable, uid: os.Geteuid(), gid: os.Getegid()}
	if s.uid == 0 {
		s.uid, s.gid = 65534, 65534
		if cfg.UID > 0 {
			s.uid = cfg.UID
		}
		if cfg.GID > 0 {
			s.gid = cfg.GID
		}
	}
	root, err := os.MkdirTemp(cfg.TempDir, "parity-sandbox-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	// Searchable, not listable: the sandbox user reaches its own work
	// directory and nothing else here.
	if err := os.Chmod(root, 0o711); err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.root = root
	if err := s.probe(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Isolation is what this sandbox obtained.
func (s *Sandbox) Isolation() Isolation { return s.iso }

// Python is the interpreter in use.
func (s *Sandbox) Python() string { return s.python.Executable }

// Close removes the sandbox's directory.
func (s *Sandbox) Close() error {
	if s.root == "" {
		return nil
	}
	return removeTree(s.root)
}

func (s *Sandbox) probe(ctx context.Context) error {
	candidates := []string{s.cfg.Python}
	if !s.cfg.PythonExplicit {
		candidates = append(candidates, "/usr/bin/python3", "/usr/local/bin/python3")
	}
	var missing []string
	want := map[Layer]bool{}
	if s.cfg.Mode != None {
		for _, l := range allLayers {
			want[l] = true
		}
		if s.cfg.Mode == Strict {
			for _, l := range s.cfg.unavailable {
				missing = append(missing, fmt.Sprintf("%s: unavailable", l))
			}
			if len(missing) > 0 {
				return &RefusedError{Missing: missing}
			}
		}
		for _, l := range s.cfg.unavailable {
			delete(want, l)
			missing = append(missing, fmt.Sprintf("%s: unavailable", l))
		}
	}
	if want[LayerLandlock] {
		if v, err := llsys.LandlockGetABIVersion(); err != nil || v < 1 {
			missing = append(missing, fmt.Sprintf("%s: the kernel has no Landlock (ABI query: %v)", LayerLandlock, err))
			delete(want, LayerLandlock)
		}
	}
	if want[LayerSeccomp] && !seccomp.Supported() {
		missing = append(missing, fmt.Sprintf("%s: the kernel has no seccomp filters", LayerSeccomp))
		delete(want, LayerSeccomp)
	}
	if len(missing) > 0 && s.cfg.Mode == Strict {
		return &RefusedError{Missing: missing}
	}
	var lastErr error
	tried := map[string]bool{}
	for _, cand := range candidates {
		py, err := resolvePython(ctx, cand)
		if err != nil {
			lastErr = err
			continue
		}
		if tried[py.Executable] {
			continue
		}
		tried[py.Executable] = true
		s.python = py
		for attempt := 0; attempt <= len(allLayers); attempt++ {
			if !want[LayerUserNS] {
				// Everything below rests on the user namespace.
				for _, l := range layersOf("namespaces") {
					delete(want, l)
				}
			}
			s.layers = want
			res, err := s.Run(ctx, Program{Source: "import sys; print(sys.version.split()[0])", Limits: Limits{Wall: 30 * time.Second}})
			if err == nil && res.Status == Exited && res.ExitCode == 0 {
				s.python.Version = strings.TrimSpace(string(res.Stdout))
				s.iso = s.isolation(missing)
				return nil
			}
			if err == nil {
				err = fmt.Errorf("%s exited with %s: %s", py.Executable, res.Describe(), tail(res.Stderr, 500))
			}
			lastErr = err
			var se *SetupError
			if !errors.As(err, &se) {
				break // the interpreter itself fails: try the next one
			}
			if se.Layer == "exec" {
				lastErr = fmt.Errorf("%w (the sandbox user %d cannot run it? pass --python with an interpreter outside private directories)", err, s.uid)
				break
			}
			drop := layersOf(se.Layer)
			if len(drop) == 0 || s.cfg.Mode == Strict {
				if s.cfg.Mode == Strict && len(drop) > 0 {
					return &RefusedError{Missing: append(missing, fmt.Sprintf("%s: %s", se.Layer, se.Msg))}
				}
				return err
			}
			next := map[Layer]bool{}
			for l := range want {
				if !slices.Contains(drop, l) {
					next[l] = true
				}
			}
			missing = append(missing, fmt.Sprintf("%s: %s", se.Layer, se.Msg))
			want = next
		}
	}
	return fmt.Errorf("sandbox: no usable Python interpreter: %w", lastErr)
}

// layersOf maps a failed setup step to the layers that go with it.
func layersOf(step string) []Layer {
	switch Layer(step) {
	case "namespaces":
		return []Layer{LayerUserNS, LayerPIDNS, LayerNetNS, LayerMountNS, LayerIPCNS, LayerUTSNS, LayerTmpfs, LayerNoCaps}
	case LayerTmpfs:
		return []Layer{LayerTmpfs}
	case LayerNoCaps:
		return []Layer{LayerNoCaps}
	case LayerLandlock:
		return []Layer{LayerLandlock}
	case LayerSeccomp:
		return []Layer{LayerSeccomp}
	}
	return nil
}

func (s *Sandbox) isolation(missing []string) Isolation {
	iso := Isolation{
		Mode:                s.cfg.Mode,
		TmpfsWorkdir:        s.layers[LayerTmpfs],
		CapabilitiesDropped: s.layers[LayerNoCaps] || s.uid != 0,
		Seccomp:             s.layers[LayerSeccomp],
		User:                fmt.Sprintf("%d:%d", s.uid, s.gid),
		Python:              s.python.Executable,
		PythonVersion:       s.python.Version,
		Missing:             missing,
		Wall:                s.cfg.Limits.Wall.String(),
		Rlimits:             map[string]uint64{},
	}
	for _, l := range []struct {
		layer Layer
		name  string
	}{{LayerUserNS, "user"}, {LayerPIDNS, "pid"}, {LayerNetNS, "net"}, {LayerMountNS, "mount"}, {LayerIPCNS, "ipc"}, {LayerUTSNS, "uts"}} {
		if s.layers[l.layer] {
			iso.Namespaces = append(iso.Namespaces, l.name)
		}
	}
	if s.layers[LayerLandlock] {
		iso.Landlock, _ = llsys.LandlockGetABIVersion()
		iso.LandlockScopes = []string{"filesystem"}
		if iso.Landlock >= 4 {
			iso.LandlockScopes = append(iso.LandlockScopes, "tcp_bind_connect")
		}
		if iso.Landlock >= 6 {
			iso.LandlockScopes = append(iso.LandlockScopes, "signals", "abstract_unix_sockets")
		}
	}
	for _, r := range s.rlimits(s.cfg.Limits) {
		iso.Rlimits[r.Name] = r.Value
	}
	return iso
}

// resolvePython finds the real interpreter behind name (pyenv shims are
// shell scripts that need the caller's environment) and the directories it
// reads from. This runs the trusted interpreter outside the sandbox.
func resolvePython(ctx context.Context, name string) (pythonInfo, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return pythonInfo{}, fmt.Errorf("python interpreter %q: %w", name, err)
	}
	const q = `import json, sys, sysconfig
dirs = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix] + [p for p in sys.path if p]
for k in ("stdlib", "platstdlib", "purelib", "platlib"):
    try: dirs.append(sysconfig.get_paths()[k])
    except Exception: pass
libdir = sysconfig.get_config_var("LIBDIR")
if libdir: dirs.append(libdir)
print(json.dumps({"executable": sys.executable, "version": sys.version.split()[0], "dirs": dirs}))`
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-c", q).Output()
	if err != nil {
		return pythonInfo{}, fmt.Errorf("python interpreter %s: %w", path, err)
	}
	var info pythonInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return pythonInfo{}, fmt.Errorf("python interpreter %s: reading sys.executable: %w", path, err)
	}
	if info.Executable == "" {
		info.Executable = path
	}
	if real, err := filepath.EvalSymlinks(info.Executable); err == nil {
		info.Dirs = append(info.Dirs, filepath.Dir(real))
	}
	info.Dirs = append(info.Dirs, filepath.Dir(info.Executable))
	return info, nil
}

func (s *Sandbox) rlimits(l Limits) []rlimit {
	return []rlimit{
		{"RLIMIT_AS", unix.RLIMIT_AS, l.AddressSpace},
		{"RLIMIT_CPU", unix.RLIMIT_CPU, uint64(l.CPU / time.Second)},
		{"RLIMIT_NPROC", unix.RLIMIT_NPROC, l.Processes},
		{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE, l.OpenFiles},
		{"RLIMIT_FSIZE", unix.RLIMIT_FSIZE, l.FileSize},
		{"RLIMIT_CORE", unix.RLIMIT_CORE, 0},
		{"RLIMIT_MEMLOCK", unix.RLIMIT_MEMLOCK, 0},
	}
}

func merge(def, o Limits) Limits {
	if o.Wall > 0 {
		def.Wall = o.Wall
		if o.CPU <= 0 {
			def.CPU = 0
		}
	}
	if o.CPU > 0 {
		def.CPU = o.CPU
	}
	if o.AddressSpace > 0 {
		def.AddressSpace = o.AddressSpace
	}
	if o.Processes > 0 {
		def.Processes = o.Processes
	}
	if o.OpenFiles > 0 {
		def.OpenFiles = o.OpenFiles
	}
	if o.FileSize > 0 {
		def.FileSize = o.FileSize
	}
	if o.DiskBytes > 0 {
		def.DiskBytes = o.DiskBytes
	}
	if o.Output > 0 {
		def.Output = o.Output
	}
	if o.Result > 0 {
		def.Result = o.Result
	}
	return def.withDefaults()
}

// Run runs one program. A non-nil error means the sandbox failed (a
// *SetupError, an I/O error, a cancelled ctx), never that the program did:
// how the program ended is in the Result.
func (s *Sandbox) Run(ctx context.Context, p Program) (*Result, error) {
	lim := merge(s.cfg.Limits, p.Limits)
	work, err := os.MkdirTemp(s.root, "run-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: work directory: %w", err)
	}
	defer removeTree(work)
	tmpfs := s.layers[LayerTmpfs]
	if !tmpfs && os.Geteuid() == 0 {
		if err := os.Chown(work, s.uid, s.gid); err != nil {
			return nil, fmt.Errorf("sandbox: work directory: %w", err)
		}
	}
	hc := helperConfig{
		WorkDir: work,
		Rlimits: s.rlimits(lim),
		Path:    s.python.Executable,
		Argv:    append([]string{s.python.Executable, "-s", "-B", "-c", p.Source}, p.Args...),
		Env: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
			"HOME=" + work, "TMPDIR=" + work,
			// One hash seed for every run, so that set and dict orders of
			// strings agree between the reference run and a candidate's (as
			// in EvalPlus, whose workers fork from one interpreter).
			"PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1",
		},
		DropCaps: s.layers[LayerNoCaps],
		Seccomp:  s.layers[LayerSeccomp],
	}
	if tmpfs {
		hc.TmpfsBytes = lim.DiskBytes
	}
	if s.layers[LayerLandlock] {
		hc.Landlock = &landlockRules{
			RODirs:  append([]string{"/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc/alternatives"}, s.python.Dirs...),
			ROFiles: []string{"/etc/ld.so.cache", "/etc/localtime", "/dev/urandom", "/dev/random", "/dev/zero"},
			RWDirs:  []string{work},
			RWFiles: []string{"/dev/null"},
		}
	}
	cfgJSON, err := json.Marshal(hc)
	if err != nil {
		return nil, err
	}
	if len(cfgJSON) > 120<<10 {
		return nil, fmt.Errorf("sandbox: program source of %d bytes is too long for the command line; send data on stdin", len(p.Source))
	}

	cmd := exec.Command(s.exe, HelperArg, string(cfgJSON))
	cmd.Env = []string{}
	cmd.Dir = "/"
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if s.layers[LayerUserNS] {
		for _, f := range []struct {
			l    Layer
			flag uintptr
		}{{LayerUserNS, syscall.CLONE_NEWUSER}, {LayerPIDNS, syscall.CLONE_NEWPID}, {LayerNetNS, syscall.CLONE_NEWNET},
			{LayerMountNS, syscall.CLONE_NEWNS}, {LayerIPCNS, syscall.CLONE_NEWIPC}, {LayerUTSNS, syscall.CLONE_NEWUTS}} {
			if s.layers[f.l] {
				attr.Cloneflags |= f.flag
			}
		}
		// uid 0 of the namespace is the unprivileged sandbox user outside.
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: s.uid, Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: s.gid, Size: 1}}
		attr.GidMappingsEnableSetgroups = false
		// Become that uid 0 before exec: left alone, the child would keep
		// the caller's own ids (root) and merely look unmapped inside.
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
	} else if os.Geteuid() == 0 {
		attr.Credential = &syscall.Credential{Uid: uint32(s.uid), Gid: uint32(s.gid), Groups: []uint32{}}
	}
	cmd.SysProcAttr = attr

	// Pipes: 0 stdin, 1 stdout, 2 stderr, 3 result channel, 4 helper status.
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return
	}
	inR, inW, err := pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := pipe()
	if err != nil {
		closeAll()
		return nil, err
	}
	errR, errW, err := pipe()
	if err != nil {
		closeAll()
		return nil, err
	}
	chR, chW, err := pipe()
	if err != nil {
		closeAll()
		return nil, err
	}
	stR, stW, err := pipe()
	if err != nil {
		closeAll()
		return nil, err
	}
	defer closeAll()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.ExtraFiles = []*os.File{chW, stW}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		if s.layers[LayerUserNS] && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES)) {
			return nil, &SetupError{Layer: "namespaces", Msg: err.Error()}
		}
		return nil, fmt.Errorf("sandbox: starting the helper: %w", err)
	}
	// The child has its copies now.
	for _, f := range []*os.File{inR, outW, errW, chW, stW} {
		f.Close()
	}
	pid := cmd.Process.Pid

	var (
		killOnce sync.Once
		mu       sync.Mutex
		reason   Status
	)
	kill := func(why Status) {
		killOnce.Do(func() {
			mu.Lock()
			reason = why
			mu.Unlock()
			// The process group, and the PID namespace's init, whose death
			// takes every process of the namespace with it.
			syscall.Kill(-pid, syscall.SIGKILL)
			syscall.Kill(pid, syscall.SIGKILL)
		})
	}
	timer := time.AfterFunc(lim.Wall, func() { kill(TimedOut) })
	defer timer.Stop()
	stop := context.AfterFunc(ctx, func() { kill("canceled") })
	defer stop()

	var wg sync.WaitGroup
	var stdout, stderr, channel capture
	stdout.keep, stderr.keep = lim.Output, lim.Output
	outBudget := newBudget(int64(4*lim.Output), func() { kill(OutputLimit) })
	stdout.budget, stderr.budget = outBudget, outBudget
	channel.keep = lim.Result
	channel.budget = newBudget(int64(lim.Result), func() { kill(OutputLimit) })
	for _, c := range []struct {
		r *os.File
		c *capture
	}{{outR, &stdout}, {errR, &stderr}, {chR, &channel}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.c.drain(c.r)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if p.Stdin != nil {
			// A program that stops reading ends this with EPIPE.
			io.Copy(inW, p.Stdin)
		}
		inW.Close()
	}()
	// Empty at EOF means the interpreter was exec'd.
	status, _ := io.ReadAll(io.LimitReader(stR, 64<<10))

	waitErr := cmd.Wait()
	wall := time.Since(start)
	timer.Stop()
	// Readers end at EOF once every process holding the pipes is gone; a
	// process that escaped the process group (only possible without a PID
	// namespace) must not hold the run up.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		outR.Close()
		errR.Close()
		chR.Close()
		inW.Close()
		<-done
	}

	if len(status) > 0 {
		layer, msg, _ := strings.Cut(string(status), ": ")
		return nil, &SetupError{Layer: layer, Msg: msg}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Result{Status: Exited, Stdout: stdout.buf.Bytes(), Stderr: stderr.buf.Bytes(), Channel: channel.buf.Bytes(), Wall: wall}
	ps := cmd.ProcessState
	if ps == nil {
		return nil, fmt.Errorf("sandbox: waiting for the program: %w", waitErr)
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		res.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		res.MaxRSS = ru.Maxrss * 1024
	}
	res.ExitCode = ps.ExitCode()
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = unix.SignalName(ws.Signal())
		if res.Signal == "" {
			res.Signal = "signal " + strconv.Itoa(int(ws.Signal()))
		}
	}
	mu.Lock()
	if reason == TimedOut || reason == OutputLimit {
		res.Status = reason
	}
	mu.Unlock()
	return res, nil
}

// capture keeps the first keep bytes of a stream and counts the rest
// against a budget.
type capture struct {
	buf    bytes.Buffer
	keep   int
	budget *budget
}

func (c *capture) drain(r io.Reader) {
	b := make([]byte, 32<<10)
	for {
		n, err := r.Read(b)
		if n > 0 {
			if room := c.keep - c.buf.Len(); room > 0 {
				c.buf.Write(b[:min(n, room)])
			}
			c.budget.spend(int64(n))
		}
		if err != nil {
			return
		}
	}
}

type budget struct {
	mu    sync.Mutex
	left  int64
	onOut func()
}

func newBudget(n int64, onOut func()) *budget { return &budget{left: n, onOut: onOut} }

func (b *budget) spend(n int64) {
	b.mu.Lock()
	b.left -= n
	out := b.left < 0
	b.mu.Unlock()
	if out {
		b.onOut()
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

// removeTree removes dir even where the program took the write bits off
// its own sub-directories.
func removeTree(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
