package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// cliTool is Debian's command-line thumbnailer, the same libvips as ours.
const cliTool = "vipsthumbnail"

// runCLI times vipsthumbnail. Each invocation thumbnails many copies of the
// input (symbolic links), so that process start-up is amortised over them;
// "all threads" runs one single-threaded process per CPU.
func runCLI(args []string) error {
	f, err := parseTiming("cli", args)
	if err != nil {
		return err
	}
	scenarios, err := loadScenarios(f.scenarios, f.only)
	if err != nil {
		return err
	}
	version, err := exec.Command(cliTool, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s: %w (Debian package libvips-tools)", cliTool, err)
	}
	rep := Report{Tool: cliTool, Version: strings.TrimSpace(string(version))}
	for _, sc := range scenarios {
		rs, err := benchCLI(sc, f)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.ID, err)
		}
		rep.Results = append(rep.Results, rs...)
	}
	return printReport(rep)
}

// saveOptions is the vipsthumbnail output spec of sc, in libvips' syntax.
func (sc Scenario) saveOptions() string {
	switch sc.Format {
	case "jpeg":
		return fmt.Sprintf(".jpeg[Q=%d,optimize_coding,strip]", sc.Quality)
	case "webp":
		return fmt.Sprintf(".webp[Q=%d,effort=4,strip]", sc.Quality)
	case "avif":
		return fmt.Sprintf(".avif[Q=%d,effort=4,strip]", sc.Quality)
	default:
		return ".png[compression=6,strip]"
	}
}

// benchCLI calibrates the number of files per invocation, times it with one
// and with NumCPU processes, and keeps one output as the sample.
func benchCLI(sc Scenario, f timingFlags) ([]Result, error) {
	tmp, err := os.MkdirTemp("", "enginebench-cli-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	perOp, err := cliRound(sc, tmp, 1, 2)
	if err != nil {
		return nil, err
	}
	files := int(math.Min(2000, math.Max(2, math.Ceil(f.seconds/perOp.Seconds()))))
	var out []Result
	for _, procs := range []int{1, runtime.NumCPU()} {
		start := time.Now()
		if _, err := cliRound(sc, tmp, procs, files); err != nil {
			return nil, err
		}
		info, err := os.Stat(filepath.Join(tmp, "out0", "in00000"+sc.saveExt()))
		if err != nil {
			return nil, err
		}
		r := cell(sc.ID, procs, procs*files, time.Since(start), int(info.Size()))
		logCell(cliTool, r)
		out = append(out, r)
	}
	return out, copyFile(filepath.Join(tmp, "out0", "in00000"+sc.saveExt()), filepath.Join(f.out, sc.ID+"."+sc.Format))
}

// saveExt is the file extension vipsthumbnail writes for sc.
func (sc Scenario) saveExt() string { return "." + sc.Format }

// cliRound runs procs vipsthumbnail processes at once, each on files links
// to the input, and returns the time per thumbnail of the whole round.
func cliRound(sc Scenario, tmp string, procs, files int) (time.Duration, error) {
	input, err := filepath.Abs(sc.Input)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, procs)
	start := time.Now()
	for p := range procs {
		wg.Go(func() { errs[p] = cliProcess(sc, input, filepath.Join(tmp, fmt.Sprint(p)), files) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start) / time.Duration(procs*files), nil
}

// cliProcess runs one single-threaded vipsthumbnail over files links to
// input in dir; its outputs go to dir's sibling "out<dir name>".
func cliProcess(sc Scenario, input, dir string, files int) error {
	outDir := filepath.Join(filepath.Dir(dir), "out"+filepath.Base(dir))
	args := []string{"-s", fmt.Sprint(sc.Size), "-o", filepath.Join(outDir, "%s"+sc.saveOptions())}
	for _, d := range []string{dir, outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for i := range files {
		link := filepath.Join(dir, fmt.Sprintf("in%05d%s", i, filepath.Ext(input)))
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(input, link); err != nil {
				return err
			}
		}
		args = append(args, link)
	}
	cmd := exec.Command(cliTool, args...)
	cmd.Env = append(os.Environ(), "VIPS_CONCURRENCY=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", cliTool, err, b)
	}
	return nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
