// Package providerserver holds what the stand-in resource providers share: serving the
// pulumirpc.ResourceProvider gRPC service the way the engine expects of a plugin (port on the first
// line of stdout), logging back to the engine, and property (un)marshalling.
package providerserver

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"
)

// Engine logs to the engine's diagnostics stream (shown in pulumi's output).
type Engine struct {
	client pulumirpc.EngineClient
}

func (e *Engine) log(ctx context.Context, sev pulumirpc.LogSeverity, urn, msg string) {
	if e == nil || e.client == nil {
		fmt.Fprintln(os.Stderr, msg)
		return
	}
	_, _ = e.client.Log(ctx, &pulumirpc.LogRequest{Severity: sev, Message: msg, Urn: urn})
}

func (e *Engine) Warn(ctx context.Context, urn, msg string) {
	e.log(ctx, pulumirpc.LogSeverity_WARNING, urn, msg)
}
func (e *Engine) Info(ctx context.Context, urn, msg string) {
	e.log(ctx, pulumirpc.LogSeverity_INFO, urn, msg)
}
func (e *Engine) Debug(ctx context.Context, urn, msg string) {
	e.log(ctx, pulumirpc.LogSeverity_DEBUG, urn, msg)
}

// Main serves the provider made by mk; the engine passes its address as the last argument.
func Main(mk func(engine *Engine) pulumirpc.ResourceProviderServer) {
	fs := flag.NewFlagSet(os.Args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("tracing", "", "")
	fs.String("root", "", "")
	_ = fs.Parse(os.Args[1:])

	engine := &Engine{}
	if fs.NArg() > 0 {
		conn, err := grpc.NewClient(fs.Arg(fs.NArg()-1),
			grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
		if err == nil {
			engine.client = pulumirpc.NewEngineClient(conn)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, mk(engine))
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

// Unmarshal reads properties, keeping unknowns (preview) and dropping secret wrappers.
func Unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true})
}

// Marshal writes properties, keeping unknowns and secrets.
func Marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true})
}
