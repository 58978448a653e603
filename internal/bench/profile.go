package bench

import (
	"os"
	"runtime/pprof"
)

// Profiles of the measured code, for the -cpuprofile family of flags.

// startCPUProfile starts a CPU profile into path; the returned func stops it.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeAllocs writes the allocation profile so far; compare two with
// go tool pprof -sample_index=alloc_objects -base FILE.base FILE.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}
