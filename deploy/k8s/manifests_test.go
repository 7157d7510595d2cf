package k8s

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// The names the manifests must use: the HPA, the Service and the PDB point
// at the API Deployment; both Deployments read the ConfigMap and Secret.
const (
	apiName    = "cloudresizer-api"
	workerName = "cloudresizer-worker"
	configName = "cloudresizer-config"
	secretName = "cloudresizer-secrets"
)

// manifests are the decoded objects of the kustomization.
type manifests struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs        map[string]*policyv1.PodDisruptionBudget
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
}

// kustomization is the part of kustomization.yaml this folder uses;
// decoded strictly too.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
	Resources []string `json:"resources"`
}

// load decodes every resource of kustomization.yaml strictly (an unknown or
// misspelt field is an error) into its Kubernetes API type, and checks that
// every manifest in the folder is listed.
func load(t *testing.T) *manifests {
	t.Helper()
	var k kustomization
	strict(t, "kustomization.yaml", read(t, "kustomization.yaml"), &k)
	if k.Kind != "Kustomization" || len(k.Resources) == 0 {
		t.Fatalf("kustomization.yaml: kind %q, %d resources", k.Kind, len(k.Resources))
	}
	files, _ := filepath.Glob("*.yaml")
	for _, f := range files {
		if f != "kustomization.yaml" && !slices.Contains(k.Resources, f) {
			t.Errorf("%s is not in kustomization.yaml's resources", f)
		}
	}
	m := &manifests{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, f := range k.Resources {
		m.add(t, f, read(t, f))
	}
	return m
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func strict(t *testing.T, file string, b []byte, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func (m *manifests) add(t *testing.T, file string, b []byte) {
	t.Helper()
	if strings.Contains("\n"+string(b), "\n---") {
		t.Fatalf("%s: one object per file", file)
	}
	var tm metav1.TypeMeta
	strictTypeMeta(t, file, b, &tm)
	var name string
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		var o appsv1.Deployment
		strict(t, file, b, &o)
		name, m.deployments[o.Name] = o.Name, &o
	case "v1 Service":
		var o corev1.Service
		strict(t, file, b, &o)
		name, m.services[o.Name] = o.Name, &o
	case "autoscaling/v2 HorizontalPodAutoscaler":
		var o autoscalingv2.HorizontalPodAutoscaler
		strict(t, file, b, &o)
		name, m.hpas[o.Name] = o.Name, &o
	case "policy/v1 PodDisruptionBudget":
		var o policyv1.PodDisruptionBudget
		strict(t, file, b, &o)
		name, m.pdbs[o.Name] = o.Name, &o
	case "v1 ConfigMap":
		var o corev1.ConfigMap
		strict(t, file, b, &o)
		name, m.configMaps[o.Name] = o.Name, &o
	case "v1 Secret":
		var o corev1.Secret
		strict(t, file, b, &o)
		name, m.secrets[o.Name] = o.Name, &o
	default:
		t.Fatalf("%s: unexpected %s %s (add it to this test)", file, tm.APIVersion, tm.Kind)
	}
	if name == "" {
		t.Errorf("%s: no metadata.name", file)
	}
}

// strictTypeMeta reads apiVersion and kind only (the rest is decoded by
// type afterwards).
func strictTypeMeta(t *testing.T, file string, b []byte, tm *metav1.TypeMeta) {
	t.Helper()
	if err := yaml.Unmarshal(b, tm); err != nil || tm.APIVersion == "" || tm.Kind == "" {
		t.Fatalf("%s: no apiVersion and kind (%v)", file, err)
	}
}

func TestManifestsDecodeStrictly(t *testing.T) {
	m := load(t)
	for _, name := range []string{apiName, workerName} {
		if m.deployments[name] == nil {
			t.Errorf("no Deployment %s", name)
		}
	}
	if m.configMaps[configName] == nil || m.secrets[secretName] == nil {
		t.Errorf("want ConfigMap %s and Secret %s", configName, secretName)
	}
	if len(m.services) != 1 || len(m.hpas) != 1 || len(m.pdbs) != 1 {
		t.Errorf("want one Service, one HPA and one PDB: %d, %d, %d", len(m.services), len(m.hpas), len(m.pdbs))
	}
}

func TestAutoscaler(t *testing.T) {
	m := load(t)
	for _, h := range m.hpas {
		ref := h.Spec.ScaleTargetRef
		if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || ref.Name != apiName {
			t.Errorf("HPA %s scales %+v, want apps/v1 Deployment %s", h.Name, ref, apiName)
		}
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas != 1 || h.Spec.MaxReplicas != 5 {
			min := "unset"
			if h.Spec.MinReplicas != nil {
				min = itoa(*h.Spec.MinReplicas)
			}
			t.Errorf("HPA %s: min %s max %d, want 1 and 5", h.Name, min, h.Spec.MaxReplicas)
		}
		if len(h.Spec.Metrics) != 1 {
			t.Fatalf("HPA %s: %d metrics, want CPU only", h.Name, len(h.Spec.Metrics))
		}
		mt := h.Spec.Metrics[0]
		if mt.Type != autoscalingv2.ResourceMetricSourceType || mt.Resource == nil || mt.Resource.Name != corev1.ResourceCPU ||
			mt.Resource.Target.Type != autoscalingv2.UtilizationMetricType || mt.Resource.Target.AverageUtilization == nil ||
			*mt.Resource.Target.AverageUtilization != 50 {
			t.Errorf("HPA %s: metric %+v, want CPU at 50%% average utilization", h.Name, mt)
		}
	}
	api := m.deployments[apiName]
	if api == nil {
		t.Fatal("no API Deployment")
	}
	if api.Spec.Replicas != nil {
		t.Errorf("the API Deployment sets replicas (%d): each apply would undo the autoscaler", *api.Spec.Replicas)
	}
	// Utilization is relative to the request: without one the HPA cannot work.
	for _, c := range api.Spec.Template.Spec.Containers {
		if c.Resources.Requests.Cpu().IsZero() {
			t.Errorf("container %s has no CPU request for the autoscaler", c.Name)
		}
	}
}

func TestDeployments(t *testing.T) {
	m := load(t)
	for name, d := range m.deployments {
		pod := d.Spec.Template
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(labels.Set(pod.Labels)) {
			t.Errorf("%s: selector %v does not select its pods (%v): %v", name, d.Spec.Selector, pod.Labels, err)
		}
		if len(pod.Spec.Containers) != 1 {
			t.Fatalf("%s: %d containers, want 1", name, len(pod.Spec.Containers))
		}
		c := pod.Spec.Containers[0]
		want := map[string]string{apiName: "serve", workerName: "worker"}[name]
		if want == "" {
			t.Errorf("unexpected Deployment %s", name)
			continue
		}
		if len(c.Args) == 0 || c.Args[0] != want || c.Image == "" {
			t.Errorf("%s: image %q args %q, want `cloudresizer %s`", name, c.Image, c.Args, want)
		}
		checkResources(t, name, c)
		checkProbes(t, name, c)
		checkEnv(t, m, name, want, c)
		checkNonRoot(t, name, pod.Spec, c)
		checkGrace(t, name, want, pod.Spec, c)
	}
}

func checkResources(t *testing.T, name string, c corev1.Container) {
	t.Helper()
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := c.Resources.Requests[r]
		lim, okLim := c.Resources.Limits[r]
		if !okReq || !okLim || req.IsZero() || lim.IsZero() {
			t.Errorf("%s/%s: %s request %v and limit %v must both be set", name, c.Name, r, req.String(), lim.String())
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("%s/%s: %s request %s above its limit %s", name, c.Name, r, req.String(), lim.String())
		}
	}
	if mem := c.Resources.Limits.Memory(); mem.Value() < 512<<20 {
		t.Errorf("%s/%s: memory limit %s: a transform of a large photo needs more (docs/operations.md)", name, c.Name, mem)
	}
}

func checkProbes(t *testing.T, name string, c corev1.Container) {
	t.Helper()
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s/%s: no HTTP %s probe", name, c.Name, p.kind)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s/%s: %s probe on %q, want %q", name, c.Name, p.kind, p.probe.HTTPGet.Path, p.path)
		}
		if port := containerPort(c, p.probe.HTTPGet.Port); port == 0 {
			t.Errorf("%s/%s: %s probe port %s is not a port of the container", name, c.Name, p.kind, p.probe.HTTPGet.Port.String())
		} else if addr := envValue(c, "CLOUDRESIZER_ADDR"); addr != ":"+itoa(port) {
			t.Errorf("%s/%s: %s probe on port %d, but CLOUDRESIZER_ADDR is %q", name, c.Name, p.kind, port, addr)
		}
	}
}

// containerPort resolves a named or numbered port of c; 0 if c has none such.
func containerPort(c corev1.Container, p intstr.IntOrString) int32 {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp.ContainerPort
		}
	}
	return 0
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func checkEnv(t *testing.T, m *manifests, name, cmd string, c corev1.Container) {
	t.Helper()
	for _, e := range c.Env {
		checkEnvName(t, name+"/"+c.Name+" env", e.Name, cmd)
	}
	var config, secret bool
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			config = m.configMaps[from.ConfigMapRef.Name] != nil
		case from.SecretRef != nil:
			secret = m.secrets[from.SecretRef.Name] != nil
		}
	}
	if !config || !secret {
		t.Errorf("%s/%s: envFrom must name the ConfigMap %s and the Secret %s of these manifests", name, c.Name, configName, secretName)
	}
}

func checkNonRoot(t *testing.T, name string, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	nonRoot := (pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot) ||
		(c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil && *c.SecurityContext.RunAsNonRoot)
	if !nonRoot {
		t.Errorf("%s: runAsNonRoot is not set", name)
	}
}

// checkGrace: Kubernetes must not SIGKILL the pod before the process's own
// shutdown bound is over (plus the preStop pause).
func checkGrace(t *testing.T, name, cmd string, pod corev1.PodSpec, c corev1.Container) {
	t.Helper()
	flag, def := "CLOUDRESIZER_SHUTDOWN_TIMEOUT", 25*time.Second
	if cmd == "worker" {
		flag, def = "CLOUDRESIZER_STOP_TIMEOUT", 60*time.Second
	}
	bound := def
	if v := envValue(c, flag); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Errorf("%s: %s=%q: %v", name, flag, v, err)
		}
		bound = d
	}
	grace := 30 * time.Second // Kubernetes' default
	if pod.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	}
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		bound += 5 * time.Second
	}
	if grace <= bound {
		t.Errorf("%s: terminationGracePeriodSeconds %v, want more than the shutdown bound %v", name, grace, bound)
	}
}

func TestServiceAndBudgetSelectTheAPI(t *testing.T) {
	m := load(t)
	api, worker := m.deployments[apiName], m.deployments[workerName]
	if api == nil || worker == nil {
		t.Fatal("missing Deployments")
	}
	apiPods, workerPods := labels.Set(api.Spec.Template.Labels), labels.Set(worker.Spec.Template.Labels)
	for _, s := range m.services {
		sel := labels.SelectorFromSet(s.Spec.Selector)
		if len(s.Spec.Selector) == 0 || !sel.Matches(apiPods) || sel.Matches(workerPods) {
			t.Errorf("Service %s: selector %v must select the API pods and only them", s.Name, s.Spec.Selector)
		}
		for _, p := range s.Spec.Ports {
			if containerPort(api.Spec.Template.Spec.Containers[0], p.TargetPort) == 0 {
				t.Errorf("Service %s: targetPort %s is not a port of the API container", s.Name, p.TargetPort.String())
			}
		}
	}
	for _, b := range m.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(apiPods) || sel.Matches(workerPods) {
			t.Errorf("PDB %s: selector %v must select the API pods and only them", b.Name, b.Spec.Selector)
		}
		// With one replica (the HPA's minimum), minAvailable: 1 would block
		// every node drain.
		if b.Spec.MaxUnavailable == nil || b.Spec.MinAvailable != nil {
			t.Errorf("PDB %s: want maxUnavailable (min replicas is 1), got %+v", b.Name, b.Spec)
		}
	}
}

func TestConfiguration(t *testing.T) {
	m := load(t)
	cm, sec := m.configMaps[configName], m.secrets[secretName]
	if cm == nil || sec == nil {
		t.Fatal("missing ConfigMap or Secret")
	}
	for k := range cm.Data {
		checkEnvName(t, "ConfigMap "+configName, k)
	}
	for k := range sec.StringData {
		checkEnvName(t, "Secret "+secretName, k)
	}
	for _, k := range []string{"CLOUDRESIZER_STORAGE", "CLOUDRESIZER_REDIS"} {
		if cm.Data[k] == "" {
			t.Errorf("ConfigMap %s: %s is required (several pods share storage and Redis)", configName, k)
		}
	}
	if sec.StringData["CLOUDRESIZER_SECRET"] == "" {
		t.Errorf("Secret %s: CLOUDRESIZER_SECRET is required (every pod must sign alike)", secretName)
	}
	for k := range cm.Data {
		if strings.Contains(k, "SECRET") || strings.Contains(k, "API_KEYS") {
			t.Errorf("ConfigMap %s holds %s: secrets belong in the Secret", configName, k)
		}
	}
}

func itoa(n int32) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
