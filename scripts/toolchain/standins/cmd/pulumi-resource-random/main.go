// Stand-in for pulumi-resource-random (scripts/toolchain.sh): the real provider module is refused
// by the Go module proxy reachable here. Implements the resources of @pulumi/random that this
// project can use, with the upstream provider's defaults and semantics: RandomPassword,
// RandomString (every input forces replacement; `keepers` rotate), RandomId, RandomUuid and
// RandomInteger. Other types fail with a clear error.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/protobuf/types/known/emptypb"

	ps "ragtoolchain/standins/internal/providerserver"
)

var version = "0.0.0" // set with -ldflags -X main.version=

const (
	tPassword = "random:index/randomPassword:RandomPassword"
	tString   = "random:index/randomString:RandomString"
	tID       = "random:index/randomId:RandomId"
	tUUID     = "random:index/randomUuid:RandomUuid"
	tInteger  = "random:index/randomInteger:RandomInteger"
)

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

func (p *provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"random","version":%q}`, version)}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func typeOf(urn string) string {
	u, err := resource.ParseURN(urn)
	if err != nil {
		return ""
	}
	return string(u.Type())
}

func setDefault(m resource.PropertyMap, k string, v resource.PropertyValue) {
	if _, ok := m[resource.PropertyKey(k)]; !ok {
		m[resource.PropertyKey(k)] = v
	}
}

// Check applies the upstream defaults so that the state reads like the real provider's.
func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := ps.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	t := typeOf(req.GetUrn())
	switch t {
	case tPassword, tString:
		if l, ok := news["length"]; !ok || (l.IsNumber() && l.NumberValue() < 1) {
			failures = append(failures, &pulumirpc.CheckFailure{Property: "length", Reason: "length is required and must be at least 1"})
		}
		for _, k := range []string{"lower", "upper", "numeric", "number", "special"} {
			setDefault(news, k, resource.NewProperty(true))
		}
		for _, k := range []string{"minLower", "minUpper", "minNumeric", "minSpecial"} {
			setDefault(news, k, resource.NewProperty(0.0))
		}
	case tID:
		if _, ok := news["byteLength"]; !ok {
			failures = append(failures, &pulumirpc.CheckFailure{Property: "byteLength", Reason: "byteLength is required"})
		}
	case tUUID:
	case tInteger:
		for _, k := range []string{"min", "max"} {
			if _, ok := news[resource.PropertyKey(k)]; !ok {
				failures = append(failures, &pulumirpc.CheckFailure{Property: k, Reason: k + " is required"})
			}
		}
	default:
		return nil, fmt.Errorf("resource type %q is not implemented by the stand-in random provider", t)
	}
	inputs, err := ps.Marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

var computed = map[string]bool{"result": true, "bcryptHash": true, "id": true, "b64Std": true, "b64Url": true, "dec": true, "hex": true}

// Diff: every input of every random resource forces replacement (as upstream).
func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := ps.Unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		if olds, err = ps.Unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := ps.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range olds {
		keys[string(k)] = true
	}
	for k := range news {
		keys[string(k)] = true
	}
	var changed []string
	for k := range keys {
		if computed[k] {
			continue
		}
		o, n := olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)]
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, k := range changed {
		detailed[k] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE_REPLACE, InputDiff: true}
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Replaces: changed, Diffs: changed,
		DetailedDiff: detailed, HasDetailedDiff: true}, nil
}

func num(m resource.PropertyMap, k string) int {
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsNumber() {
		return int(v.NumberValue())
	}
	return 0
}

func flag(m resource.PropertyMap, k string) bool {
	if v, ok := m[resource.PropertyKey(k)]; ok && v.IsBool() {
		return v.BoolValue()
	}
	return true
}

func randIndex(n int) (int, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(i.Int64()), nil
}

func pick(set string, n int) ([]byte, error) {
	out := make([]byte, n)
	for i := range out {
		j, err := randIndex(len(set))
		if err != nil {
			return nil, err
		}
		out[i] = set[j]
	}
	return out, nil
}

// generate follows terraform-provider-random's algorithm: the minimums first, then the rest from
// the union of the enabled sets, then a shuffle.
func generate(m resource.PropertyMap) (string, error) {
	const (
		lower   = "abcdefghijklmnopqrstuvwxyz"
		upper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		numbers = "0123456789"
	)
	special := "!@#$%&*()-_=+[]{}<>:?"
	if v, ok := m["overrideSpecial"]; ok && v.IsString() && v.StringValue() != "" {
		special = v.StringValue()
	}
	length := num(m, "length")
	numeric := flag(m, "numeric") && flag(m, "number")
	var all strings.Builder
	var result []byte
	add := func(enabled bool, set string, min int) error {
		if !enabled {
			return nil
		}
		all.WriteString(set)
		b, err := pick(set, min)
		result = append(result, b...)
		return err
	}
	if err := add(flag(m, "lower"), lower, num(m, "minLower")); err != nil {
		return "", err
	}
	if err := add(flag(m, "upper"), upper, num(m, "minUpper")); err != nil {
		return "", err
	}
	if err := add(numeric, numbers, num(m, "minNumeric")); err != nil {
		return "", err
	}
	if err := add(flag(m, "special"), special, num(m, "minSpecial")); err != nil {
		return "", err
	}
	if all.Len() == 0 {
		return "", fmt.Errorf("at least one of lower, upper, numeric and special must be true")
	}
	if len(result) < length {
		b, err := pick(all.String(), length-len(result))
		if err != nil {
			return "", err
		}
		result = append(result, b...)
	}
	for i := len(result) - 1; i > 0; i-- {
		j, err := randIndex(i + 1)
		if err != nil {
			return "", err
		}
		result[i], result[j] = result[j], result[i]
	}
	return string(result), nil
}

func (p *provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	ins, err := ps.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	outs := ins.Copy()
	t := typeOf(req.GetUrn())
	unknown := resource.MakeComputed(resource.NewProperty(""))
	id := "none"
	if req.GetPreview() {
		switch t {
		case tPassword:
			outs["result"], outs["bcryptHash"] = resource.MakeSecret(unknown), resource.MakeSecret(unknown)
		case tString, tUUID:
			outs["result"] = unknown
		case tID:
			for _, k := range []string{"b64Std", "b64Url", "dec", "hex"} {
				outs[resource.PropertyKey(k)] = unknown
			}
		case tInteger:
			outs["result"] = resource.MakeComputed(resource.NewProperty(0.0))
		}
		props, err := ps.Marshal(outs)
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	switch t {
	case tPassword, tString:
		s, err := generate(ins)
		if err != nil {
			return nil, err
		}
		if t == tPassword {
			h, err := bcrypt.GenerateFromPassword([]byte(s), bcrypt.DefaultCost)
			if err != nil {
				return nil, err
			}
			outs["result"] = resource.MakeSecret(resource.NewProperty(s))
			outs["bcryptHash"] = resource.MakeSecret(resource.NewProperty(string(h)))
		} else {
			outs["result"] = resource.NewProperty(s)
			id = s
		}
	case tUUID:
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		b[6] = (b[6] & 0x0f) | 0x40
		b[8] = (b[8] & 0x3f) | 0x80
		h := hex.EncodeToString(b)
		id = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		outs["result"] = resource.NewProperty(id)
	case tID:
		b := make([]byte, num(ins, "byteLength"))
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		prefix := ""
		if v, ok := ins["prefix"]; ok && v.IsString() {
			prefix = v.StringValue()
		}
		id = base64.RawURLEncoding.EncodeToString(b)
		outs["b64Url"] = resource.NewProperty(prefix + id)
		outs["b64Std"] = resource.NewProperty(prefix + base64.StdEncoding.EncodeToString(b))
		outs["hex"] = resource.NewProperty(prefix + hex.EncodeToString(b))
		outs["dec"] = resource.NewProperty(prefix + new(big.Int).SetBytes(b).String())
	case tInteger:
		lo, hi := num(ins, "min"), num(ins, "max")
		if hi < lo {
			return nil, fmt.Errorf("min (%d) must be at most max (%d)", lo, hi)
		}
		r, err := randIndex(hi - lo + 1)
		if err != nil {
			return nil, err
		}
		outs["result"] = resource.NewProperty(float64(lo + r))
		id = fmt.Sprint(lo + r)
	default:
		return nil, fmt.Errorf("resource type %q is not implemented by the stand-in random provider", t)
	}
	props, err := ps.Marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Read: random values live only in the state.
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	return nil, fmt.Errorf("random resources are replaced, never updated")
}

func (p *provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func main() {
	ps.Main(func(*ps.Engine) pulumirpc.ResourceProviderServer { return &provider{} })
}
