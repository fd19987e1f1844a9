package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/elastic/go-seccomp-bpf"
	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// HelperArg, as the first argument of the executable, makes it the sandbox
// helper instead of whatever it normally is.
const HelperArg = "__parity-sandbox-helper"

// File descriptors the helper is started with, besides 0-2.
const (
	channelFD = 3 // the program's result channel, passed on to it
	statusFD  = 4 // the helper's setup errors; closed by exec on success
)

func init() {
	// The helper must run before main (and before any test framework)
	// sees the arguments; see the package comment.
	if len(os.Args) == 3 && os.Args[1] == HelperArg {
		helperMain(os.Args[2])
	}
}

// helperConfig is what the parent asks the helper to set up.
type helperConfig struct {
	WorkDir string `json:"workdir"`
	// TmpfsBytes > 0 mounts a tmpfs of that size over WorkDir.
	TmpfsBytes uint64 `json:"tmpfs_bytes,omitempty"`
	DropCaps   bool   `json:"drop_caps,omitempty"`
	// Landlock, when set, lists the paths the program may read (and
	// execute) and the ones it may also write.
	Landlock *landlockRules `json:"landlock,omitempty"`
	Seccomp  bool           `json:"seccomp,omitempty"`
	Rlimits  []rlimit       `json:"rlimits"`
	Path     string         `json:"path"`
	Argv     []string       `json:"argv"`
	Env      []string       `json:"env"`
}

type landlockRules struct {
	RODirs  []string `json:"ro_dirs"`
	ROFiles []string `json:"ro_files"`
	RWDirs  []string `json:"rw_dirs"`
	RWFiles []string `json:"rw_files"`
}

type rlimit struct {
	Name     string `json:"name"`
	Resource int    `json:"resource"`
	Value    uint64 `json:"value"`
}

// setupError is how the helper reports a failed layer: "layer: message".
func helperFail(layer Layer, err error) {
	f := os.NewFile(statusFD, "status")
	fmt.Fprintf(f, "%s: %v", layer, err)
	os.Exit(125)
}

// helperMain sets up the layers on one locked OS thread and execs the
// interpreter from it: Landlock, seccomp, no_new_privs and the securebits
// are per-thread and survive execve, so they bind the program.
func helperMain(cfgJSON string) {
	runtime.LockOSThread()
	syscall.CloseOnExec(statusFD)
	var c helperConfig
	if err := json.Unmarshal([]byte(cfgJSON), &c); err != nil {
		helperFail("config", err)
	}
	if c.TmpfsBytes > 0 {
		// Private propagation first, so the tmpfs never shows up outside.
		if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			helperFail(LayerTmpfs, fmt.Errorf("making mounts private: %w", err))
		}
		opts := fmt.Sprintf("size=%d,nr_inodes=4096,mode=0700", c.TmpfsBytes)
		if err := unix.Mount("tmpfs", c.WorkDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
			helperFail(LayerTmpfs, fmt.Errorf("mounting tmpfs on %s: %w", c.WorkDir, err))
		}
	}
	if err := syscall.Chdir(c.WorkDir); err != nil {
		helperFail("workdir", err)
	}
	if c.DropCaps {
		if err := dropCapabilities(); err != nil {
			helperFail(LayerNoCaps, err)
		}
	}
	// An interpreter the sandbox user cannot run is not a Landlock problem.
	if err := unix.Access(c.Path, unix.X_OK); err != nil {
		helperFail("exec", fmt.Errorf("%s: %w", c.Path, err))
	}
	if c.Landlock != nil {
		if err := applyLandlock(c.Landlock); err != nil {
			helperFail(LayerLandlock, err)
		}
	}
	if c.Seccomp {
		if err := seccomp.LoadFilter(seccomp.Filter{NoNewPrivs: true, Policy: seccompPolicy()}); err != nil {
			helperFail(LayerSeccomp, err)
		}
	}
	// Limits last: RLIMIT_AS and RLIMIT_NPROC would bind the Go runtime of
	// this helper too.
	for _, r := range c.Rlimits {
		if err := unix.Setrlimit(r.Resource, &unix.Rlimit{Cur: r.Value, Max: r.Value}); err != nil {
			helperFail("rlimits", fmt.Errorf("%s=%d: %w", r.Name, r.Value, err))
		}
	}
	err := syscall.Exec(c.Path, c.Argv, c.Env)
	helperFail("exec", fmt.Errorf("%s: %w", c.Path, err))
}

// Secure bits (linux/securebits.h).
const (
	secbitNoroot              = 1 << 0
	secbitNorootLocked        = 1 << 1
	secbitNoSetuidFixup       = 1 << 2
	secbitNoSetuidFixupLocked = 1 << 3
	secbitKeepCapsLocked      = 1 << 5
	secbitNoCapAmbientRaise   = 1 << 6
	secbitNoCapAmbientLocked  = 1 << 7
)

// dropCapabilities makes the program capability-less although it is uid 0
// of its user namespace: with SECBIT_NOROOT, execve grants root no
// capabilities, and the bounding and ambient sets are emptied.
func dropCapabilities() error {
	bits := secbitNoroot | secbitNorootLocked | secbitNoSetuidFixup | secbitNoSetuidFixupLocked |
		secbitKeepCapsLocked | secbitNoCapAmbientRaise | secbitNoCapAmbientLocked
	if err := unix.Prctl(unix.PR_SET_SECUREBITS, uintptr(bits), 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_SECUREBITS: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	// Inheritable set to zero; permitted and effective follow at execve.
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// applyLandlock enforces the ruleset on this thread only, right before
// execve (go-landlock's "sandboxing another program" case): the library
// builds the ruleset, downgraded to the kernel's ABI, and we restrict the
// one thread that will exec, so the parent process is never affected and
// libpsx is never needed.
func applyLandlock(r *landlockRules) error {
	cfg := landlock.V11.BestEffort()
	rules := []landlock.Rule{
		landlock.RODirs(reachable(r.RODirs)...),
		landlock.ROFiles(reachable(r.ROFiles)...),
		landlock.RWDirs(r.RWDirs...),
		landlock.RWFiles(reachable(r.RWFiles)...),
	}
	fd, flags, err := cfg.NewRulesetFD(rules...)
	if err != nil {
		return err
	}
	if fd < 0 {
		return fmt.Errorf("the kernel has no Landlock support")
	}
	defer syscall.Close(fd)
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_NO_NEW_PRIVS: %w", err)
	}
	if err := llsys.LandlockRestrictSelf(fd, flags); err != nil {
		return fmt.Errorf("landlock_restrict_self: %w", err)
	}
	return nil
}

// reachable keeps the paths that exist and that the sandbox user can reach:
// a rule for a path it cannot even look up would grant nothing, and fail.
func reachable(paths []string) []string {
	var out []string
	for _, p := range paths {
		fd, err := unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		unix.Close(fd)
		out = append(out, p)
	}
	return out
}
