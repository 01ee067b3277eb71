// Stand-in Node.js language host for the end-to-end toolchain (scripts/toolchain.sh).
//
// The real host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is
// refused by the Go module proxy reachable on this project's machines. This is a small, original
// implementation of the same gRPC contract (pulumirpc.LanguageRuntime, from the published
// pulumi sdk/v3 module) that starts the same Node.js entry points the real host starts and that
// ship in @pulumi/pulumi: `@pulumi/pulumi/cmd/run` for programs and
// `@pulumi/pulumi/cmd/run-policy-pack` for CrossGuard policy packs. It never installs anything:
// InstallDependencies only checks that node_modules is there.
//
// Not implemented: code generation (GenerateProgram/Project/Package), Pack, Link, `pulumi new`
// templating, dynamic-provider and component plugins written in Node.js.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Exit code with which @pulumi/pulumi's run script says "the error was already shown to the user".
const exitAfterLoggedError = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	mu     sync.Mutex
	engine string
}

func (h *host) engineAddress() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engine
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	if req.GetEngineAddress() != "" {
		h.engine = req.GetEngineAddress()
	}
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version.Version, "v")}, nil
}

// nodeModulesDirs lists every node_modules directory from dir up to the filesystem root
// (Node's own resolution order).
func nodeModulesDirs(dir string) []string {
	var out []string
	for d := dir; ; d = filepath.Dir(d) {
		nm := filepath.Join(d, "node_modules")
		if st, err := os.Stat(nm); err == nil && st.IsDir() {
			out = append(out, nm)
		}
		if filepath.Dir(d) == d {
			return out
		}
	}
}

// resolveModule finds node_modules/<rel> from dir upwards.
func resolveModule(dir, rel string) (string, error) {
	for _, nm := range nodeModulesDirs(dir) {
		p := filepath.Join(nm, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("cannot find module '%s' from %s: run npm ci (or npm install) first", rel, dir)
}

type pkgJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Dependencies map[string]string `json:"dependencies"`
	Pulumi       *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPkg(path string) (*pkgJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p pkgJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// installedPackages lists package.json files of node_modules/<name> and node_modules/@scope/<name>
// in the nearest node_modules directories (nearest wins).
func installedPackages(dir string) map[string]*pkgJSON {
	out := map[string]*pkgJSON{}
	for _, nm := range nodeModulesDirs(dir) {
		entries, _ := os.ReadDir(nm)
		for _, e := range entries {
			names := []string{e.Name()}
			if strings.HasPrefix(e.Name(), "@") {
				names = nil
				sub, _ := os.ReadDir(filepath.Join(nm, e.Name()))
				for _, s := range sub {
					names = append(names, e.Name()+"/"+s.Name())
				}
			}
			for _, n := range names {
				if _, seen := out[n]; seen {
					continue
				}
				if p, err := readPkg(filepath.Join(nm, filepath.FromSlash(n), "package.json")); err == nil {
					out[n] = p
				}
			}
		}
	}
	return out
}

type plugin struct{ name, version, server string }

// requiredPlugins: resource plugins declared ("pulumi": {"resource": true}) by installed packages.
func requiredPlugins(programDir string) []plugin {
	seen := map[string]bool{}
	var out []plugin
	pkgs := installedPackages(programDir)
	names := make([]string, 0, len(pkgs))
	for n := range pkgs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := pkgs[n]
		if p.Pulumi == nil || !p.Pulumi.Resource {
			continue
		}
		name := p.Pulumi.Name
		if name == "" {
			name = strings.TrimPrefix(n, "@pulumi/")
		}
		v := p.Pulumi.Version
		if v == "" {
			v = p.Version
		}
		if v != "" && !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		key := name + "@" + v
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, plugin{name, v, p.Pulumi.Server})
	}
	return out
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, p := range requiredPlugins(dir) {
		resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{Name: p.name, Kind: "resource", Version: p.version, Server: p.server})
	}
	return resp, nil
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, p := range requiredPlugins(req.GetInfo().GetProgramDirectory()) {
		resp.Packages = append(resp.Packages, &pulumirpc.PackageDependency{Name: p.name, Kind: "resource", Version: p.version, Server: p.server})
	}
	return resp, nil
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	root, err := readPkg(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	installed := installedPackages(dir)
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	names := make([]string, 0, len(root.Dependencies))
	for n := range root.Dependencies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := root.Dependencies[n]
		if p, ok := installed[n]; ok {
			v = p.Version
		}
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: n, Version: v})
	}
	return resp, nil
}

func nodePath() (string, error) {
	if p := os.Getenv("PULUMI_NODEJS_NODE"); p != "" {
		return p, nil
	}
	return exec.LookPath("node")
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := nodePath()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out)),
		Metadata: map[string]string{"languageHost": "rag-platform stand-in"}}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// InstallDependencies never installs: the project installs its node_modules with npm ci.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, srv pulumirpc.LanguageRuntime_InstallDependenciesServer) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory()
	}
	if _, err := resolveModule(dir, "@pulumi/pulumi/package.json"); err != nil {
		return status.Errorf(codes.FailedPrecondition, "%v (this language host does not install dependencies)", err)
	}
	return srv.Send(&pulumirpc.InstallDependenciesResponse{
		Stdout: []byte("node_modules already present; nothing to install\n"),
	})
}

func optString(opts *structpb.Struct, key string) (string, bool) {
	if opts == nil {
		return "", false
	}
	v, ok := opts.GetFields()[key]
	if !ok || v == nil {
		return "", false
	}
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return k.StringValue, true
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue), true
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64), true
	}
	return "", false
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

// Run starts `node @pulumi/pulumi/cmd/run <program>` like the real host does.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = req.GetProgram()
	}
	if entry == "" {
		entry = "."
	}
	runScript, err := resolveModule(programDir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	node, err := nodePath()
	if err != nil {
		return &pulumirpc.RunResponse{Error: "node not found on PATH: " + err.Error()}, nil
	}

	opts := info.GetOptions()
	var args []string
	if na, ok := optString(opts, "nodeargs"); ok && na != "" {
		args = append(args, strings.Fields(na)...)
	}
	args = append(args, runScript, "--monitor="+req.GetMonitorAddress())
	if e := h.engineAddress(); e != "" {
		args = append(args, "--engine="+e)
	}
	if req.GetOrganization() != "" {
		args = append(args, "--organization="+req.GetOrganization())
	}
	args = append(args, "--project="+req.GetProject(), "--stack="+req.GetStack(), "--pwd="+req.GetPwd())
	if info.GetRootDirectory() != "" {
		args = append(args, "--root-directory="+info.GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 1 {
		args = append(args, "--parallel="+strconv.Itoa(int(req.GetParallel())))
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	typescript := true
	if ts, ok := optString(opts, "typescript"); ok {
		typescript = ts != "false"
	}
	if typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if p, ok := optString(opts, "tsconfig"); ok && p != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+p)
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		code := exitCode(err)
		if code == exitAfterLoggedError {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		if code < 0 {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

type streamWriter struct {
	mu     *sync.Mutex
	srv    pulumirpc.LanguageRuntime_RunPluginServer
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := append([]byte(nil), p...)
	var msg *pulumirpc.RunPluginResponse
	if w.stderr {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	} else {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	}
	if err := w.srv.Send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

// RunPlugin runs a policy pack (kind "analyzer") with @pulumi/pulumi/cmd/run-policy-pack, which
// prints the analyzer's gRPC port as its first line of output.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, srv pulumirpc.LanguageRuntime_RunPluginServer) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetProgram()
	}
	var script string
	switch req.GetKind() {
	case "analyzer":
		s, err := resolveModule(dir, "@pulumi/pulumi/cmd/run-policy-pack")
		if err != nil {
			// the CLI recognises this message and explains it
			return fmt.Errorf("Cannot find module '@pulumi/pulumi/cmd/run-policy-pack': %v", err)
		}
		script = s
	default:
		return status.Errorf(codes.Unimplemented, "this language host runs only policy packs, not %q plugins", req.GetKind())
	}
	node, err := nodePath()
	if err != nil {
		return err
	}
	args := append([]string{script}, req.GetArgs()...)
	args = append(args, dir)
	cmd := exec.CommandContext(srv.Context(), node, args...)
	cmd.Dir = dir
	cmd.Env = req.GetEnv()
	if len(cmd.Env) == 0 {
		cmd.Env = os.Environ()
	}
	var mu sync.Mutex
	cmd.Stdout = streamWriter{&mu, srv, false}
	cmd.Stderr = streamWriter{&mu, srv, true}
	err = cmd.Run()
	code := 0
	if err != nil {
		code = exitCode(err)
		if code < 0 && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return srv.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

func main() {
	// The engine passes its own flags (e.g. -tracing, -root) before the engine address.
	fs := flag.NewFlagSet(os.Args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("tracing", "", "")
	fs.String("root", "", "")
	fs.String("binary", "", "")
	fs.Bool("typescript", true, "")
	fs.String("tsconfig", "", "")
	fs.String("nodeargs", "", "")
	fs.String("packagemanager", "", "")
	_ = fs.Parse(os.Args[1:])

	h := &host{}
	if fs.NArg() > 0 {
		h.engine = fs.Arg(fs.NArg() - 1)
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: %v\n", err)
		os.Exit(1)
	}
}
