// Package sandbox runs untrusted Python programs (model-written code) so that
// a hostile one can neither get out, nor harm the machine, nor touch parity's
// cache, results or secrets. Each program gets a fresh throw-away directory
// (a size-limited tmpfs where mount namespaces work), an environment built
// from nothing, resource limits (address space, CPU time, processes, open
// files, file size), its own process group and PID namespace killed as a
// whole on time-out, and, where the kernel allows, user, PID, network, mount,
// IPC and UTS namespaces, a Landlock file-system/network/IPC ruleset and a
// seccomp filter. The isolation actually obtained is reported by
// Sandbox.Isolation so that it can be recorded with the results; New refuses
// to run with less than full isolation unless the caller asks for it.
//
// The layers are applied by a helper: the running executable re-executes
// itself with HelperArg as its first argument, sets the child up on one
// locked OS thread and execs the interpreter from there, so Landlock and
// seccomp bind the interpreter and nothing in the parent. The helper is
// dispatched from this package's init function, which makes every binary
// (tests included) that imports sandbox able to serve as its own helper.
package sandbox

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Mode says how much isolation New insists on.
type Mode string

const (
	// Strict needs every layer (namespaces, tmpfs, Landlock, seccomp,
	// rlimits) and refuses to run otherwise. The default.
	Strict Mode = "strict"
	// BestEffort takes whatever layers the kernel allows (rlimits, process
	// group, fresh directory and clean environment at least) and records
	// what it got. An explicit choice of the user.
	BestEffort Mode = "best-effort"
	// None applies only rlimits, the process group, the fresh directory, the
	// clean environment and (as root) an unprivileged user: no namespaces,
	// Landlock or seccomp. An explicit choice of the user.
	None Mode = "none"
)

// ParseMode reads a --sandbox flag value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Strict, BestEffort, None:
		return m, nil
	case "":
		return Strict, nil
	}
	return "", fmt.Errorf("sandbox mode %q: want strict, best-effort or none", s)
}

// Limits bound one program run.
type Limits struct {
	// Wall is the wall-clock limit; the whole process tree is killed then.
	Wall time.Duration
	// CPU is the RLIMIT_CPU of each process (0: Wall rounded up plus 1 s).
	CPU time.Duration
	// AddressSpace is RLIMIT_AS in bytes.
	AddressSpace uint64
	// Processes is RLIMIT_NPROC: processes and threads of the sandbox user.
	Processes uint64
	// OpenFiles is RLIMIT_NOFILE.
	OpenFiles uint64
	// FileSize is RLIMIT_FSIZE in bytes: the largest file it may write.
	FileSize uint64
	// DiskBytes is the size of the tmpfs work directory (when mount
	// namespaces are available): all files together.
	DiskBytes uint64
	// Output is how many bytes of stdout and of stderr are kept; a program
	// that writes more than 4× this in total is killed.
	Output int
	// Result is the most bytes the program may send on its result channel
	// (fd 3); more kills it.
	Result int
}

// DefaultLimits are EvalPlus's memory limit (4 GiB address space) and
// generous bounds that no HumanEval solution comes near.
func DefaultLimits() Limits {
	return Limits{
		Wall:         10 * time.Second,
		AddressSpace: 4 << 30,
		Processes:    16,
		OpenFiles:    256,
		FileSize:     16 << 20,
		DiskBytes:    64 << 20,
		Output:       1 << 20,
		Result:       256 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.Wall <= 0 {
		l.Wall = d.Wall
	}
	if l.CPU <= 0 {
		l.CPU = (l.Wall + time.Second - 1).Truncate(time.Second) + time.Second
	}
	if l.AddressSpace == 0 {
		l.AddressSpace = d.AddressSpace
	}
	if l.Processes == 0 {
		l.Processes = d.Processes
	}
	if l.OpenFiles == 0 {
		l.OpenFiles = d.OpenFiles
	}
	if l.FileSize == 0 {
		l.FileSize = d.FileSize
	}
	if l.DiskBytes == 0 {
		l.DiskBytes = d.DiskBytes
	}
	if l.Output <= 0 {
		l.Output = d.Output
	}
	if l.Result <= 0 {
		l.Result = d.Result
	}
	return l
}

// Config configures a Sandbox.
type Config struct {
	// Mode is how much isolation is required (default Strict).
	Mode Mode
	// Python is the interpreter: a path or a name looked up in PATH
	// (default "python3"). It is resolved to the real executable (through
	// pyenv-style shims) by asking it for sys.executable.
	Python string
	// PythonExplicit says Python was chosen by the user: without it, when
	// the resolved interpreter cannot run as the sandbox user (a pyenv
	// install under /root, say), the system's /usr/bin/python3 and
	// /usr/local/bin/python3 are tried.
	PythonExplicit bool
	// Limits are the defaults of every run (a Program may override them).
	Limits Limits
	// TempDir is where work directories are made (default os.TempDir()).
	TempDir string
	// UID and GID are the unprivileged user the programs run as when
	// parity runs as root (default 65534, nobody). Ignored otherwise: then
	// programs run as the caller's own user.
	UID, GID int
	// Executable is the binary that serves as helper (default the running
	// executable, /proc/self/exe).
	Executable string

	// unavailable pretends layers are missing (tests of the refusal).
	unavailable []Layer
}

// Layer is one isolation mechanism.
type Layer string

const (
	LayerUserNS   Layer = "user_namespace"
	LayerPIDNS    Layer = "pid_namespace"
	LayerNetNS    Layer = "net_namespace"
	LayerMountNS  Layer = "mount_namespace"
	LayerIPCNS    Layer = "ipc_namespace"
	LayerUTSNS    Layer = "uts_namespace"
	LayerTmpfs    Layer = "tmpfs_workdir"
	LayerNoCaps   Layer = "capabilities_dropped"
	LayerLandlock Layer = "landlock"
	LayerSeccomp  Layer = "seccomp"
)

// allLayers in the order they are given up when probing in best-effort mode
// (the last ones first).
var allLayers = []Layer{LayerUserNS, LayerPIDNS, LayerNetNS, LayerMountNS, LayerIPCNS, LayerUTSNS, LayerTmpfs, LayerNoCaps, LayerLandlock, LayerSeccomp}

// Isolation is what a Sandbox obtained, for the record.
type Isolation struct {
	Mode Mode `json:"mode"`
	// Namespaces are the Linux namespaces each program runs in.
	Namespaces []string `json:"namespaces"`
	// TmpfsWorkdir: the work directory is a private size-limited tmpfs.
	TmpfsWorkdir bool `json:"tmpfs_workdir"`
	// CapabilitiesDropped: no capabilities, not even in the user namespace.
	CapabilitiesDropped bool `json:"capabilities_dropped"`
	// Landlock is the kernel's Landlock ABI version in force (0: none) and
	// what it restricts.
	Landlock       int      `json:"landlock_abi"`
	LandlockScopes []string `json:"landlock_restricts,omitempty"`
	// Seccomp: a seccomp-bpf filter denies the dangerous system calls.
	Seccomp bool `json:"seccomp"`
	// Rlimits always apply.
	Rlimits map[string]uint64 `json:"rlimits"`
	// User is the uid:gid programs run as, seen from outside.
	User string `json:"user"`
	// Python is the interpreter and its version.
	Python        string `json:"python"`
	PythonVersion string `json:"python_version"`
	// Missing lists what could not be had, and why.
	Missing []string `json:"missing,omitempty"`
	// Wall is the default per-run wall-clock limit.
	Wall string `json:"default_wall_limit"`
}

// Full reports whether every layer was obtained.
func (i Isolation) Full() bool { return len(i.Missing) == 0 && i.Mode != None }

// Map is the record as a generic value for results.json.
func (i Isolation) Map() map[string]any {
	ns := make([]any, len(i.Namespaces))
	for k, n := range i.Namespaces {
		ns[k] = n
	}
	rl := map[string]any{}
	for k, v := range i.Rlimits {
		rl[k] = v
	}
	m := map[string]any{
		"mode":                 string(i.Mode),
		"namespaces":           ns,
		"tmpfs_workdir":        i.TmpfsWorkdir,
		"capabilities_dropped": i.CapabilitiesDropped,
		"landlock_abi":         i.Landlock,
		"seccomp":              i.Seccomp,
		"rlimits":              rl,
		"user":                 i.User,
		"python":               i.Python,
		"python_version":       i.PythonVersion,
		"default_wall_limit":   i.Wall,
	}
	if len(i.LandlockScopes) > 0 {
		s := make([]any, len(i.LandlockScopes))
		for k, v := range i.LandlockScopes {
			s[k] = v
		}
		m["landlock_restricts"] = s
	}
	if len(i.Missing) > 0 {
		s := make([]any, len(i.Missing))
		for k, v := range i.Missing {
			s[k] = v
		}
		m["missing"] = s
	}
	return m
}

// String is a one-line summary for logs.
func (i Isolation) String() string {
	var parts []string
	if len(i.Namespaces) > 0 {
		parts = append(parts, "namespaces "+strings.Join(i.Namespaces, ","))
	}
	if i.TmpfsWorkdir {
		parts = append(parts, "tmpfs")
	}
	if i.Landlock > 0 {
		parts = append(parts, fmt.Sprintf("landlock v%d", i.Landlock))
	}
	if i.Seccomp {
		parts = append(parts, "seccomp")
	}
	parts = append(parts, "rlimits", "user "+i.User)
	s := string(i.Mode) + ": " + strings.Join(parts, ", ")
	if len(i.Missing) > 0 {
		s += "; missing: " + strings.Join(i.Missing, "; ")
	}
	return s
}

// Program is one run.
type Program struct {
	// Source is the Python program, run as `python -c Source`.
	Source string
	// Args follow the program in sys.argv.
	Args []string
	// Stdin is copied to the program's standard input, which is then
	// closed (nil: empty).
	Stdin io.Reader
	// Limits override the sandbox's defaults field by field (zero fields
	// keep the default).
	Limits Limits
}

// Status is how a program ended.
type Status string

const (
	// Exited: the program ended on its own (see ExitCode and Signal).
	Exited Status = "exited"
	// TimedOut: the wall-clock limit was reached and everything was killed.
	TimedOut Status = "timed out"
	// OutputLimit: it wrote more than allowed to stdout/stderr or its
	// result channel, and was killed.
	OutputLimit Status = "output limit exceeded"
)

// Result is what a run produced.
type Result struct {
	Status Status
	// ExitCode is the exit status, -1 when a signal ended it.
	ExitCode int
	// Signal names the signal that ended it, "" otherwise.
	Signal string
	// Stdout and Stderr are the first Limits.Output bytes of each.
	Stdout, Stderr []byte
	// Channel is what the program wrote on file descriptor 3.
	Channel []byte
	// Wall is the time from start to end; CPU the user+system time of the
	// whole tree; MaxRSS the largest resident set in bytes.
	Wall, CPU time.Duration
	MaxRSS    int64
}

// Describe is a short human reading of how the run ended.
func (r *Result) Describe() string {
	switch r.Status {
	case TimedOut, OutputLimit:
		return string(r.Status)
	}
	if r.Signal != "" {
		return "killed by " + r.Signal
	}
	return fmt.Sprintf("exit status %d", r.ExitCode)
}

// ErrUnsupported is returned where the operating system has no sandbox.
var ErrUnsupported = errors.New("sandbox: only Linux is supported")

// RefusedError says New would not run with the isolation it could get.
type RefusedError struct {
	Missing []string
}

func (e *RefusedError) Error() string {
	return "sandbox: refusing to run untrusted code without full isolation: " + strings.Join(e.Missing, "; ") +
		" (pass --sandbox=best-effort to run with what this kernel allows, or --sandbox=none for no isolation at all)"
}
