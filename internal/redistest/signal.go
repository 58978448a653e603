package redistest

import "syscall"

// syscallZero probes whether a process still exists without affecting it.
var syscallZero = syscall.Signal(0)
