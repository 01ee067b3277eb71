// Stand-in for pulumi-resource-kubernetes (scripts/toolchain.sh): the real provider module
// (github.com/pulumi/pulumi-kubernetes/provider/v4) is refused by the Go module proxy reachable on
// this project's machines. This is a small, original provider for the plain Kubernetes resource
// types of @pulumi/kubernetes (`kubernetes:<group>/<version>:<Kind>`, CustomResources included):
//
//   - Check: autonames metadata.name (`<name>-<8 hex>`, annotation pulumi.com/autonamed) like upstream.
//   - Diff: inputs against old inputs; name/namespace and known immutable fields force replacement
//     (delete-before-replace when the name is fixed).
//   - Create/Update: server-side apply (field manager "pulumi-kubernetes", force), one GET first so
//     that creating an existing object fails; API server warnings (e.g. Pod Security) are shown as
//     warnings. Preview makes no changes; it runs a server-side dry run where it can.
//   - Awaiting: none when the object has the annotation pulumi.com/skipAwait: "true"; otherwise a
//     simplified version of upstream's readiness rules (Deployment, StatefulSet, DaemonSet, Job,
//     PersistentVolumeClaim, Namespace) with the resource's custom timeout (default 10 minutes).
//   - Read: the live object; inputs are the old inputs with the live value of each input field, so
//     a refresh shows drift of exactly the fields the program sets (quantities compared by value).
//   - Delete: propagation from the annotation pulumi.com/deletionPropagationPolicy (default
//     foreground), then waits until the object is gone unless skipAwait.
//   - Provider config: kubeconfig (path or contents), context, cluster, namespace,
//     renderYamlToDirectory (writes <dir>/1-manifest/*.yaml, CRDs to 0-crd/, no cluster needed).
//
// Not implemented: yaml/helm/kustomize components, *Patch resources, List resources, invokes.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	kresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	ps "ragtoolchain/standins/internal/providerserver"
)

var version = "0.0.0" // set with -ldflags -X main.version=

const (
	fieldManager         = "pulumi-kubernetes"
	annSkipAwait         = "pulumi.com/skipAwait"
	annAutonamed         = "pulumi.com/autonamed"
	annDeletePropagation = "pulumi.com/deletionPropagationPolicy"
	defaultTimeout       = 10 * time.Minute
)

type urnKey struct{}

// warnings from the API server (Warning: headers) go to the engine against the resource's URN.
type warningHandler struct{ engine *ps.Engine }

func (w warningHandler) HandleWarningHeaderWithContext(ctx context.Context, _ int, _ string, text string) {
	urn, _ := ctx.Value(urnKey{}).(string)
	w.engine.Warn(context.Background(), urn, "API server warning: "+text)
}

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
	engine *ps.Engine

	mu        sync.Mutex
	cfg       map[string]string
	renderDir string
	namespace string
	dyn       dynamic.Interface
	mapper    *restmapper.DeferredDiscoveryRESTMapper
	clientErr error
}

func (p *provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"kubernetes","version":%q}`, version)}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

var clusterKeys = []string{"kubeconfig", "context", "cluster", "renderYamlToDirectory", "namespace"}

func (p *provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
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
	var diffs []string
	for _, k := range clusterKeys {
		o, n := olds[resource.PropertyKey(k)], news[resource.PropertyKey(k)]
		if !o.DeepEquals(n) {
			diffs = append(diffs, k)
		}
	}
	if len(diffs) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: diffs}, nil
}

// configValue reads a provider setting from the provider resource's args or the stack config.
func configValue(args resource.PropertyMap, vars map[string]string, key string) string {
	if v, ok := args[resource.PropertyKey(key)]; ok {
		switch {
		case v.IsString():
			return v.StringValue()
		case v.IsBool():
			if v.BoolValue() {
				return "true"
			}
			return "false"
		}
	}
	if v, ok := vars["kubernetes:config:"+key]; ok {
		return v
	}
	return vars["kubernetes:"+key]
}

func (p *provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args, err := ps.Unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	cfg := map[string]string{}
	for _, k := range []string{"kubeconfig", "context", "cluster", "namespace", "renderYamlToDirectory"} {
		cfg[k] = configValue(args, req.GetVariables(), k)
	}
	p.mu.Lock()
	p.cfg = cfg
	p.renderDir = cfg["renderYamlToDirectory"]
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

// clients builds the API clients on first use (never in render mode).
func (p *provider) clients() (dynamic.Interface, *restmapper.DeferredDiscoveryRESTMapper, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dyn != nil || p.clientErr != nil {
		return p.dyn, p.mapper, p.namespace, p.clientErr
	}
	p.clientErr = func() error {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		overrides := &clientcmd.ConfigOverrides{CurrentContext: p.cfg["context"]}
		if c := p.cfg["cluster"]; c != "" {
			overrides.Context.Cluster = c
		}
		var cc clientcmd.ClientConfig
		kc := p.cfg["kubeconfig"]
		switch {
		case kc == "":
			cc = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
		case strings.Contains(kc, "apiVersion") || strings.Contains(kc, "clusters"):
			raw, err := clientcmd.Load([]byte(kc))
			if err != nil {
				return fmt.Errorf("parsing kubeconfig contents: %w", err)
			}
			cc = clientcmd.NewDefaultClientConfig(*raw, overrides)
		default:
			rules.ExplicitPath = kc
			cc = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
		}
		rc, err := cc.ClientConfig()
		if err != nil {
			return fmt.Errorf("loading kubeconfig: %w", err)
		}
		rc.QPS, rc.Burst = 50, 100
		rc.UserAgent = "pulumi-kubernetes-standin/" + version
		rc.WarningHandlerWithContext = warningHandler{p.engine}
		ns, _, err := cc.Namespace()
		if err != nil || ns == "" {
			ns = "default"
		}
		if p.cfg["namespace"] != "" {
			ns = p.cfg["namespace"]
		}
		dc, err := discovery.NewDiscoveryClientForConfig(rc)
		if err != nil {
			return err
		}
		dyn, err := dynamic.NewForConfig(rc)
		if err != nil {
			return err
		}
		p.dyn, p.mapper, p.namespace = dyn, restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), ns
		return nil
	}()
	return p.dyn, p.mapper, p.namespace, p.clientErr
}

func (p *provider) render() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.renderDir
}

// ---------------------------------------------------------------------------------------------
// objects

func toObject(m resource.PropertyMap) (map[string]any, error) {
	if m.ContainsUnknowns() {
		return nil, errors.New("object has unknown values")
	}
	b, err := json.Marshal(m.Mappable())
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

func fromObject(obj map[string]any) (resource.PropertyMap, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var plain map[string]any
	if err := json.Unmarshal(b, &plain); err != nil {
		return nil, err
	}
	return resource.NewPropertyMapFromMap(plain), nil
}

func str(m map[string]any, path ...string) string {
	v, _, _ := unstructured.NestedString(m, path...)
	return v
}

func annotation(m resource.PropertyMap, key string) string {
	md, ok := m["metadata"]
	if !ok || !md.IsObject() {
		return ""
	}
	a, ok := md.ObjectValue()["annotations"]
	if !ok || !a.IsObject() {
		return ""
	}
	v, ok := a.ObjectValue()[resource.PropertyKey(key)]
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

func skipAwait(m resource.PropertyMap) bool { return annotation(m, annSkipAwait) == "true" }

func gvkOf(obj map[string]any) (schema.GroupVersionKind, error) {
	gv, err := schema.ParseGroupVersion(str(obj, "apiVersion"))
	if err != nil {
		return schema.GroupVersionKind{}, err
	}
	kind := str(obj, "kind")
	if kind == "" || gv.Version == "" {
		return schema.GroupVersionKind{}, errors.New("apiVersion and kind are required")
	}
	return gv.WithKind(kind), nil
}

type target struct {
	ri         dynamic.ResourceInterface
	namespaced bool
	namespace  string
	name       string
	gvk        schema.GroupVersionKind
}

func (t target) id() string {
	if t.namespaced {
		return t.namespace + "/" + t.name
	}
	return t.name
}

func (p *provider) target(obj map[string]any) (target, error) {
	dyn, mapper, defNS, err := p.clients()
	if err != nil {
		return target{}, err
	}
	gvk, err := gvkOf(obj)
	if err != nil {
		return target{}, err
	}
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		mapper.Reset()
		mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return target{}, fmt.Errorf("%s is not served by the API server: %w", gvk, err)
	}
	t := target{name: str(obj, "metadata", "name"), gvk: gvk}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		t.namespaced = true
		t.namespace = str(obj, "metadata", "namespace")
		if t.namespace == "" {
			t.namespace = defNS
		}
		t.ri = dyn.Resource(mapping.Resource).Namespace(t.namespace)
	} else {
		t.ri = dyn.Resource(mapping.Resource)
	}
	return t, nil
}

// live cleans a live object for the outputs.
func live(u *unstructured.Unstructured) map[string]any {
	obj := u.DeepCopy().Object
	unstructured.RemoveNestedField(obj, "metadata", "managedFields")
	return obj
}

func (p *provider) outputs(obj map[string]any, inputs resource.PropertyMap) (*structpb.Struct, error) {
	outs, err := fromObject(obj)
	if err != nil {
		return nil, err
	}
	if str(obj, "kind") == "Secret" && str(obj, "apiVersion") == "v1" {
		if sd, ok := inputs["stringData"]; ok {
			outs["stringData"] = sd
		}
		for _, k := range []resource.PropertyKey{"data", "stringData"} {
			if v, ok := outs[k]; ok && !v.IsSecret() {
				outs[k] = resource.MakeSecret(v)
			}
		}
	}
	return ps.Marshal(outs)
}

// ---------------------------------------------------------------------------------------------
// Check

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := ps.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := ps.Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	for _, k := range []resource.PropertyKey{"apiVersion", "kind"} {
		if v, ok := news[k]; !ok || (v.IsString() && v.StringValue() == "") {
			failures = append(failures, &pulumirpc.CheckFailure{Property: string(k), Reason: string(k) + " is required"})
		}
	}
	if strings.HasSuffix(typeName(req.GetUrn()), "Patch") || strings.HasSuffix(typeName(req.GetUrn()), "List") {
		return nil, fmt.Errorf("%s is not implemented by the stand-in Kubernetes provider", typeName(req.GetUrn()))
	}
	md := resource.PropertyMap{}
	if v, ok := news["metadata"]; ok && v.IsObject() {
		md = v.ObjectValue().Copy()
	}
	if n, ok := md["name"]; !ok || (n.IsString() && n.StringValue() == "") {
		name := ""
		if annotation(olds, annAutonamed) == "true" {
			if om, ok := olds["metadata"]; ok && om.IsObject() {
				if on, ok := om.ObjectValue()["name"]; ok && on.IsString() {
					name = on.StringValue()
				}
			}
		}
		if name == "" {
			u, err := resource.ParseURN(req.GetUrn())
			if err != nil {
				return nil, err
			}
			if name, err = resource.NewUniqueHex(u.Name()+"-", 8, 0); err != nil {
				return nil, err
			}
		}
		md["name"] = resource.NewProperty(name)
		ann := resource.PropertyMap{}
		if a, ok := md["annotations"]; ok && a.IsObject() {
			ann = a.ObjectValue().Copy()
		}
		ann[annAutonamed] = resource.NewProperty("true")
		md["annotations"] = resource.NewProperty(ann)
	}
	news["metadata"] = resource.NewProperty(md)
	inputs, err := ps.Marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

func typeName(urn string) string {
	u, err := resource.ParseURN(urn)
	if err != nil {
		return ""
	}
	return string(u.Type())
}

// ---------------------------------------------------------------------------------------------
// Diff

// changedPaths lists the paths (a.b[0].c) whose values differ between o and n.
func changedPaths(prefix string, o, n resource.PropertyValue, out *[]string) {
	if n.ContainsUnknowns() && !n.IsObject() && !n.IsArray() {
		*out = append(*out, prefix)
		return
	}
	if o.IsSecret() {
		o = o.SecretValue().Element
	}
	if n.IsSecret() {
		n = n.SecretValue().Element
	}
	switch {
	case o.IsObject() && n.IsObject():
		om, nm := o.ObjectValue(), n.ObjectValue()
		keys := map[resource.PropertyKey]bool{}
		for k := range om {
			keys[k] = true
		}
		for k := range nm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, string(k))
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			p := k
			if strings.ContainsAny(k, "./[]") {
				p = fmt.Sprintf("[%q]", k)
			}
			if prefix != "" {
				if strings.HasPrefix(p, "[") {
					p = prefix + p
				} else {
					p = prefix + "." + p
				}
			}
			changedPaths(p, om[resource.PropertyKey(k)], nm[resource.PropertyKey(k)], out)
		}
	case o.IsArray() && n.IsArray() && len(o.ArrayValue()) == len(n.ArrayValue()):
		for i := range o.ArrayValue() {
			changedPaths(fmt.Sprintf("%s[%d]", prefix, i), o.ArrayValue()[i], n.ArrayValue()[i], out)
		}
	default:
		if !o.DeepEquals(n) {
			*out = append(*out, prefix)
		}
	}
}

// immutable fields per group/kind (changing them needs a replacement).
var immutable = map[string][]string{
	"apps/Deployment":                       {"spec.selector"},
	"apps/ReplicaSet":                       {"spec.selector"},
	"apps/DaemonSet":                        {"spec.selector"},
	"apps/StatefulSet":                      {"spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy"},
	"batch/Job":                             {"spec.selector", "spec.template", "spec.completionMode"},
	"/Service":                              {"spec.clusterIP", "spec.clusterIPs"},
	"/PersistentVolumeClaim":                {"spec.accessModes", "spec.storageClassName", "spec.selector", "spec.volumeName", "spec.volumeMode", "spec.dataSource"},
	"/Secret":                               {"type"},
	"storage.k8s.io/StorageClass":           {"provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"},
	"rbac.authorization.k8s.io/RoleBinding": {"roleRef"},
	"rbac.authorization.k8s.io/ClusterRoleBinding": {"roleRef"},
}

func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+".") || strings.HasPrefix(path, prefix+"[")
}

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
	// ignoreChanges: the engine has already applied them to the inputs it sends
	var paths []string
	changedPaths("", resource.NewProperty(olds), resource.NewProperty(news), &paths)
	if len(paths) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	oldObj, _ := fromPropsLoose(olds)
	newObj, _ := fromPropsLoose(news)
	ogv, _ := schema.ParseGroupVersion(str(oldObj, "apiVersion"))
	ngv, _ := schema.ParseGroupVersion(str(newObj, "apiVersion"))
	forceNew := []string{"metadata.name", "metadata.namespace", "kind"}
	forceNew = append(forceNew, immutable[ngv.Group+"/"+str(newObj, "kind")]...)
	if str(oldObj, "kind") == "ConfigMap" || str(oldObj, "kind") == "Secret" {
		if b, ok, _ := unstructured.NestedBool(oldObj, "immutable"); ok && b {
			forceNew = append(forceNew, "data", "stringData", "binaryData", "immutable")
		}
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	replaces := map[string]bool{}
	var diffs []string
	for _, path := range paths {
		kind := pulumirpc.PropertyDiff_UPDATE
		for _, f := range forceNew {
			if under(path, f) {
				kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
				replaces[strings.SplitN(strings.SplitN(path, ".", 2)[0], "[", 2)[0]] = true
			}
		}
		detailed[path] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		top := strings.SplitN(strings.SplitN(path, ".", 2)[0], "[", 2)[0]
		diffs = append(diffs, top)
	}
	if ogv.Group != ngv.Group {
		replaces["apiVersion"] = true
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: uniq(diffs),
		DetailedDiff: detailed, HasDetailedDiff: true}
	for k := range replaces {
		resp.Replaces = append(resp.Replaces, k)
	}
	sort.Strings(resp.Replaces)
	// A fixed name cannot exist twice: delete the old object first.
	if len(resp.Replaces) > 0 && annotation(news, annAutonamed) != "true" &&
		str(oldObj, "metadata", "name") == str(newObj, "metadata", "name") &&
		str(oldObj, "metadata", "namespace") == str(newObj, "metadata", "namespace") {
		resp.DeleteBeforeReplace = true
	}
	return resp, nil
}

func fromPropsLoose(m resource.PropertyMap) (map[string]any, error) {
	b, err := json.Marshal(m.MapRepl(nil, func(v resource.PropertyValue) (any, bool) {
		if v.IsComputed() || v.IsOutput() && !v.OutputValue().Known {
			return nil, true
		}
		return nil, false
	}))
	if err != nil {
		return map[string]any{}, err
	}
	out := map[string]any{}
	return out, json.Unmarshal(b, &out)
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// render mode

func renderPath(dir string, obj map[string]any) string {
	sub := "1-manifest"
	if str(obj, "kind") == "CustomResourceDefinition" {
		sub = "0-crd"
	}
	parts := []string{strings.ReplaceAll(str(obj, "apiVersion"), "/", "_"), strings.ToLower(str(obj, "kind"))}
	if ns := str(obj, "metadata", "namespace"); ns != "" {
		parts = append(parts, ns)
	}
	parts = append(parts, str(obj, "metadata", "name"))
	return filepath.Join(dir, sub, strings.Join(parts, "-")+".yaml")
}

func writeYAML(dir string, obj map[string]any) error {
	b, err := yaml.Marshal(obj)
	if err != nil {
		return err
	}
	path := renderPath(dir, obj)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func renderID(obj map[string]any) string {
	if ns := str(obj, "metadata", "namespace"); ns != "" {
		return ns + "/" + str(obj, "metadata", "name")
	}
	return str(obj, "metadata", "name")
}

// ---------------------------------------------------------------------------------------------
// Create / Update

func (p *provider) apply(ctx context.Context, t target, obj map[string]any, dryRun bool) (*unstructured.Unstructured, error) {
	body := map[string]any{}
	for k, v := range obj {
		body[k] = v
	}
	md, _ := body["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
	}
	mdCopy := map[string]any{}
	for k, v := range md {
		mdCopy[k] = v
	}
	if t.namespaced {
		mdCopy["namespace"] = t.namespace
	}
	body["metadata"] = mdCopy
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: fieldManager, Force: &force}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return t.ri.Patch(ctx, t.name, types.ApplyPatchType, b, opts)
}

func timeoutOf(seconds float64) time.Duration {
	if seconds > 0 {
		return time.Duration(seconds * float64(time.Second))
	}
	return defaultTimeout
}

func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	ctx = context.WithValue(ctx, urnKey{}, req.GetUrn())
	ins, err := ps.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		if !ins.ContainsUnknowns() && p.render() == "" {
			p.previewDryRun(ctx, req.GetUrn(), ins, true)
		}
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	obj, err := toObject(ins)
	if err != nil {
		return nil, err
	}
	if dir := p.render(); dir != "" {
		if err := writeYAML(dir, obj); err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Id: renderID(obj), Properties: req.GetProperties()}, nil
	}
	t, err := p.target(obj)
	if err != nil {
		return nil, err
	}
	if _, err := t.ri.Get(ctx, t.name, metav1.GetOptions{}); err == nil {
		return nil, fmt.Errorf("resource %q (%s) already exists; import it or delete it first", t.id(), t.gvk.Kind)
	} else if !apierrors.IsNotFound(err) {
		return nil, err
	}
	u, err := p.apply(ctx, t, obj, false)
	if err != nil {
		return nil, fmt.Errorf("creating %s %q: %w", t.gvk.Kind, t.id(), err)
	}
	if !skipAwait(ins) {
		if u, err = p.await(ctx, req.GetUrn(), t, timeoutOf(req.GetTimeout())); err != nil {
			// the object exists: report it so that it is tracked in the state
			props, _ := p.outputs(obj, ins)
			return &pulumirpc.CreateResponse{Id: t.id(), Properties: props}, err
		}
	}
	props, err := p.outputs(live(u), ins)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: t.id(), Properties: props}, nil
}

// previewDryRun validates an object with a server-side dry run when the cluster can answer; a
// missing namespace or type (created by the same update) is not an error at preview time.
func (p *provider) previewDryRun(ctx context.Context, urn string, ins resource.PropertyMap, create bool) {
	obj, err := toObject(ins)
	if err != nil {
		return
	}
	t, err := p.target(obj)
	if err != nil {
		return
	}
	if create {
		if _, err := t.ri.Get(ctx, t.name, metav1.GetOptions{}); err == nil {
			p.engine.Warn(ctx, urn, fmt.Sprintf("%s %q already exists in the cluster: creating it will fail", t.gvk.Kind, t.id()))
			return
		}
	}
	if _, err := p.apply(ctx, t, obj, true); err != nil && !apierrors.IsNotFound(err) {
		p.engine.Warn(ctx, urn, fmt.Sprintf("server-side dry run of %s %q failed: %v", t.gvk.Kind, t.id(), err))
	}
}

func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	ctx = context.WithValue(ctx, urnKey{}, req.GetUrn())
	news, err := ps.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		if !news.ContainsUnknowns() && p.render() == "" {
			p.previewDryRun(ctx, req.GetUrn(), news, false)
		}
		return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
	}
	obj, err := toObject(news)
	if err != nil {
		return nil, err
	}
	if dir := p.render(); dir != "" {
		if err := writeYAML(dir, obj); err != nil {
			return nil, err
		}
		return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
	}
	t, err := p.target(obj)
	if err != nil {
		return nil, err
	}
	u, err := p.apply(ctx, t, obj, false)
	if err != nil {
		return nil, fmt.Errorf("updating %s %q: %w", t.gvk.Kind, t.id(), err)
	}
	if !skipAwait(news) {
		if u, err = p.await(ctx, req.GetUrn(), t, timeoutOf(req.GetTimeout())); err != nil {
			return nil, err
		}
	}
	props, err := p.outputs(live(u), news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// await implements a simplified form of upstream's readiness rules.
func (p *provider) await(ctx context.Context, urn string, t target, timeout time.Duration) (*unstructured.Unstructured, error) {
	deadline := time.Now().Add(timeout)
	announced := false
	for {
		u, err := t.ri.Get(ctx, t.name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		ready, msg := readiness(t.gvk, u.Object)
		if ready {
			return u, nil
		}
		if !announced {
			p.engine.Info(ctx, urn, fmt.Sprintf("waiting for %s %q: %s", t.gvk.Kind, t.id(), msg))
			announced = true
		}
		if time.Now().After(deadline) {
			return u, fmt.Errorf("%s %q not ready after %s: %s (set the annotation %s: \"true\" to skip waiting)",
				t.gvk.Kind, t.id(), timeout, msg, annSkipAwait)
		}
		select {
		case <-ctx.Done():
			return u, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

func num(obj map[string]any, path ...string) int64 {
	v, ok, _ := unstructured.NestedFieldNoCopy(obj, path...)
	if !ok {
		return 0
	}
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

func readiness(gvk schema.GroupVersionKind, obj map[string]any) (bool, string) {
	gen := num(obj, "metadata", "generation")
	observed := num(obj, "status", "observedGeneration")
	replicas := int64(1)
	if _, ok, _ := unstructured.NestedFieldNoCopy(obj, "spec", "replicas"); ok {
		replicas = num(obj, "spec", "replicas")
	}
	switch gvk.GroupKind().String() {
	case "Deployment.apps":
		if observed < gen || num(obj, "status", "updatedReplicas") < replicas || num(obj, "status", "availableReplicas") < replicas {
			return false, fmt.Sprintf("%d/%d replicas available", num(obj, "status", "availableReplicas"), replicas)
		}
	case "StatefulSet.apps":
		if observed < gen || num(obj, "status", "readyReplicas") < replicas || num(obj, "status", "updatedReplicas") < replicas {
			return false, fmt.Sprintf("%d/%d replicas ready", num(obj, "status", "readyReplicas"), replicas)
		}
	case "DaemonSet.apps":
		if observed < gen || num(obj, "status", "numberReady") < num(obj, "status", "desiredNumberScheduled") {
			return false, "pods not ready"
		}
	case "Job.batch":
		conds, _, _ := unstructured.NestedSlice(obj, "status", "conditions")
		for _, c := range conds {
			cm, _ := c.(map[string]any)
			if cm["status"] == "True" && cm["type"] == "Complete" {
				return true, ""
			}
			if cm["status"] == "True" && cm["type"] == "Failed" {
				return false, "job failed"
			}
		}
		return false, "job not complete"
	case "PersistentVolumeClaim":
		if str(obj, "status", "phase") != "Bound" {
			return false, "claim not bound"
		}
	case "Namespace":
		if str(obj, "status", "phase") != "Active" {
			return false, "namespace not active"
		}
	}
	return true, ""
}

// ---------------------------------------------------------------------------------------------
// Read

// project returns the old inputs with each leaf replaced by the live value at the same path.
func project(in, lv any, path []string) (any, bool) {
	switch iv := in.(type) {
	case map[string]any:
		lm, ok := lv.(map[string]any)
		if !ok {
			return lv, lv != nil
		}
		out := map[string]any{}
		for k, v := range iv {
			lvk, present := lm[k]
			if !present && isZero(v) {
				// the API server omits zero values (0, false, "", [], {}): not drift
				out[k] = v
				continue
			}
			if pv, ok := project(v, lvk, append(path, k)); ok {
				out[k] = pv
			}
		}
		return out, true
	case []any:
		la, ok := lv.([]any)
		if !ok || len(la) != len(iv) {
			return lv, lv != nil
		}
		out := make([]any, len(iv))
		for i := range iv {
			pv, _ := project(iv[i], la[i], path)
			out[i] = pv
		}
		return out, true
	case string:
		if ls, ok := lv.(string); ok && ls != iv {
			// quantities ("0.5" == "500m") and the like: equal by value is no drift
			if qi, err := kresource.ParseQuantity(iv); err == nil {
				if ql, err := kresource.ParseQuantity(ls); err == nil && qi.Cmp(ql) == 0 {
					return iv, true
				}
			}
		}
		return lv, lv != nil
	default:
		return lv, lv != nil
	}
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case float64:
		return x == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isZero(e) {
				return false
			}
		}
		return true
	}
	return false
}

func (p *provider) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	ctx = context.WithValue(ctx, urnKey{}, req.GetUrn())
	if p.render() != "" {
		return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
	}
	state, err := ps.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	oldIns, err := ps.Unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	ref := state
	if len(oldIns) > 0 {
		ref = oldIns
	}
	obj, err := fromPropsLoose(ref)
	if err != nil {
		return nil, err
	}
	// `get`/import: the type comes from the URN and the id is [namespace/]name
	if str(obj, "kind") == "" {
		parts := strings.Split(typeName(req.GetUrn()), ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("cannot read %q", req.GetUrn())
		}
		gv := strings.TrimPrefix(parts[1], "core/")
		obj = map[string]any{"apiVersion": gv, "kind": parts[2], "metadata": map[string]any{}}
	}
	id := req.GetId()
	md, _ := obj["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		obj["metadata"] = md
	}
	if i := strings.Index(id, "/"); i >= 0 {
		md["namespace"], md["name"] = id[:i], id[i+1:]
	} else if id != "" {
		md["name"] = id
	}
	t, err := p.target(obj)
	if err != nil {
		return nil, err
	}
	u, err := t.ri.Get(ctx, t.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &pulumirpc.ReadResponse{}, nil // deleted outside of Pulumi
	}
	if err != nil {
		return nil, err
	}
	lv := live(u)
	var newIns resource.PropertyMap
	if len(oldIns) > 0 {
		insObj, err := fromPropsLoose(oldIns)
		if err != nil {
			return nil, err
		}
		// a Secret's stringData is write-only: keep it when data has the same bytes
		if sd, ok := insObj["stringData"].(map[string]any); ok && str(insObj, "kind") == "Secret" {
			data, _ := lv["data"].(map[string]any)
			kept := map[string]any{}
			for k, v := range sd {
				s, _ := v.(string)
				if enc, ok := data[k].(string); ok && enc == base64.StdEncoding.EncodeToString([]byte(s)) {
					kept[k] = s
				}
			}
			lv = shallowWith(lv, "stringData", kept)
		}
		proj, _ := project(insObj, lv, nil)
		pm, _ := proj.(map[string]any)
		if newIns, err = fromObject(pm); err != nil {
			return nil, err
		}
	} else {
		base := map[string]any{"apiVersion": lv["apiVersion"], "kind": lv["kind"]}
		for _, k := range []string{"spec", "data", "stringData", "binaryData", "type", "rules", "subjects", "roleRef"} {
			if v, ok := lv[k]; ok {
				base[k] = v
			}
		}
		base["metadata"] = map[string]any{"name": str(lv, "metadata", "name"), "namespace": str(lv, "metadata", "namespace")}
		if newIns, err = fromObject(base); err != nil {
			return nil, err
		}
	}
	insStruct, err := ps.Marshal(newIns)
	if err != nil {
		return nil, err
	}
	props, err := p.outputs(lv, newIns)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: t.id(), Properties: props, Inputs: insStruct}, nil
}

func shallowWith(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

// ---------------------------------------------------------------------------------------------
// Delete

func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	ctx = context.WithValue(ctx, urnKey{}, req.GetUrn())
	state, err := ps.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	ins, _ := ps.Unmarshal(req.GetOldInputs())
	ref := ins
	if len(ref) == 0 {
		ref = state
	}
	obj, err := fromPropsLoose(ref)
	if err != nil {
		return nil, err
	}
	if dir := p.render(); dir != "" {
		if err := os.Remove(renderPath(dir, obj)); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		return &emptypb.Empty{}, nil
	}
	if id := req.GetId(); id != "" {
		md, _ := obj["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
			obj["metadata"] = md
		}
		if i := strings.Index(id, "/"); i >= 0 {
			md["namespace"], md["name"] = id[:i], id[i+1:]
		} else {
			md["name"] = id
		}
	}
	t, err := p.target(obj)
	if err != nil {
		return nil, err
	}
	policy := metav1.DeletePropagationForeground
	switch strings.ToLower(annotation(ref, annDeletePropagation)) {
	case "background":
		policy = metav1.DeletePropagationBackground
	case "orphan":
		policy = metav1.DeletePropagationOrphan
	}
	err = t.ri.Delete(ctx, t.name, metav1.DeleteOptions{PropagationPolicy: &policy})
	if apierrors.IsNotFound(err) {
		return &emptypb.Empty{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("deleting %s %q: %w", t.gvk.Kind, t.id(), err)
	}
	if skipAwait(ref) {
		return &emptypb.Empty{}, nil
	}
	deadline := time.Now().Add(timeoutOf(req.GetTimeout()))
	for {
		_, err := t.ri.Get(ctx, t.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return &emptypb.Empty{}, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s %q still exists after %s (finalizers pending?)", t.gvk.Kind, t.id(), timeoutOf(req.GetTimeout()))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (p *provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	return nil, fmt.Errorf("invoke %q is not implemented by the stand-in Kubernetes provider", req.GetTok())
}

func main() {
	ps.Main(func(engine *ps.Engine) pulumirpc.ResourceProviderServer { return &provider{engine: engine} })
}
