package sandbox

import (
	"sort"

	"github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
)

// deniedSyscalls are what a Python program under test never needs and an
// escape or an attack on the host would: tracing and reading other
// processes, mounting and namespaces, kernel keyrings, BPF, perf,
// userfaultfd and io_uring (large kernel attack surface), modules, reboot,
// clocks, swap, quotas, handle-based opens, raw I/O ports.
var deniedSyscalls = []string{
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
	"fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns",
	"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"reboot", "swapon", "swapoff", "acct", "syslog", "quotactl", "quotactl_fd",
	"open_by_handle_at", "name_to_handle_at", "iopl", "ioperm", "modify_ldt",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "vhangup", "uselib", "personality",
	"lookup_dcookie", "fanotify_init", "migrate_pages", "move_pages", "nfsservctl",
}

// seccompPolicy allows every system call of the native architecture that
// the library knows except deniedSyscalls, and refuses (EPERM) everything
// else. Writing it as an allow list rather than "allow by default" matters:
// the default action also applies to foreign-architecture calls (int 0x80
// on amd64), which would otherwise bypass a deny list.
func seccompPolicy() seccomp.Policy {
	info, err := arch.GetInfo("")
	if err != nil {
		// No table for this architecture: deny only the listed calls.
		return seccomp.Policy{DefaultAction: seccomp.ActionAllow, Syscalls: []seccomp.SyscallGroup{{Action: seccomp.ActionErrno, Names: deniedSyscalls}}}
	}
	deny := map[string]bool{}
	for _, n := range deniedSyscalls {
		deny[n] = true
	}
	var allow, denied []string
	for name := range info.SyscallNames {
		if deny[name] {
			denied = append(denied, name)
		} else {
			allow = append(allow, name)
		}
	}
	sort.Strings(allow)
	sort.Strings(denied)
	return seccomp.Policy{
		DefaultAction: seccomp.ActionErrno,
		Syscalls: []seccomp.SyscallGroup{
			{Action: seccomp.ActionErrno, Names: denied},
			{Action: seccomp.ActionAllow, Names: allow},
		},
	}
}
