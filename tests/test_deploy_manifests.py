"""The Kubernetes manifests (deploy/kubernetes) and the compose file cannot drift from the code.

Every resource is validated against a fixed Kubernetes schema, strictly (an unknown or misspelt field fails);
every workload has probes and resource requests; every credential comes from the Secret; every environment
variable is one the process reads (the gateway's `Settings`, Rasa's endpoints.yml, the actions); Rasa, the
action server and Redis are closed by NetworkPolicies; only the gateway is exposed. No cluster is needed.
"""

from __future__ import annotations

import copy
import importlib.util
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.33.0"  # the schema the manifests are checked against (kubernetes-validate ships it)
SECRET_NAME = "helpdesk-secrets"
CREDENTIAL = re.compile(r"TOKEN|SECRET|PASSWORD|_SID$|AUTH$")
SETTINGS = {name.upper() for name in Settings.model_fields}
WORKLOADS = ("Deployment", "StatefulSet")
# Who may open connections to each private component (app.kubernetes.io/component of the pods).
PRIVATE = {"rasa": {"gateway", "worker"}, "actions": {"rasa"}, "redis": {"gateway", "worker", "rasa"}}


def manifest_files() -> list[Path]:
    return sorted(p for p in DEPLOY.glob("*.yaml") if p.name != "kustomization.yaml")


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in manifest_files():
        found += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return found


DOCS = documents()


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in DOCS if doc["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    (doc,) = [doc for doc in of_kind(kind) if doc["metadata"]["name"] == name]
    return doc


def workloads() -> list[dict[str, Any]]:
    return [doc for _, doc in DOCS if doc["kind"] in WORKLOADS]


def containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for workload in workloads():
        pod = workload["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            yield workload["metadata"]["name"], container


def config_map(name: str) -> dict[str, str]:
    return named("ConfigMap", name)["data"]


def env_names(container: dict[str, Any]) -> set[str]:
    """Every variable the container gets: its `env` and the keys of the ConfigMaps and Secrets of `envFrom`."""
    names = {item["name"] for item in container.get("env", [])}
    for source in container.get("envFrom", []):
        assert "secretRef" not in source, "credentials are named one by one (env with secretKeyRef)"
        names |= set(config_map(source["configMapRef"]["name"]))
    return names


def referenced(container: dict[str, Any]) -> set[str]:
    """Variables used as $(NAME) in the container's other variables or its command line."""
    text = " ".join(
        [str(item.get("value", "")) for item in container.get("env", [])]
        + container.get("command", [])
        + container.get("args", [])
    )
    return set(re.findall(r"\$\(([A-Z0-9_]+)\)", text))


def template_keys() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "secrets.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are used (and checked) here"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def component(workload_name: str) -> dict[str, str]:
    (workload,) = [w for w in workloads() if w["metadata"]["name"] == workload_name]
    return workload["spec"]["template"]["metadata"]["labels"]


# The files --------------------------------------------------------------------------------------------------


def test_kustomization_lists_every_manifest_and_generates_the_secret() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text(encoding="utf-8"))
    assert sorted(kustomization["resources"]) == [p.name for p in manifest_files()]
    assert kustomization["namespace"] == "helpdesk"
    (generator,) = kustomization["secretGenerator"]
    assert generator == {"name": SECRET_NAME, "envs": ["secrets.env"]}
    assert (DEPLOY / "secrets.env.example").is_file()
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/kubernetes/secrets.env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0, "secrets.env (the real secrets) must be in .gitignore"
    assert {image["name"] for image in kustomization["images"]} == {
        "migrant-helpdesk/gateway",
        "migrant-helpdesk/rasa",
    }


@pytest.mark.parametrize(
    "doc", [doc for _, doc in DOCS], ids=[f"{name}:{doc['kind']}/{doc['metadata']['name']}" for name, doc in DOCS]
)
def test_every_resource_is_valid_kubernetes_strictly(doc: dict[str, Any]) -> None:
    # SchemaNotFoundError (an unknown kind or apiVersion) fails too.
    assert kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True) == "1.33"


def test_strict_validation_rejects_a_misspelt_field() -> None:
    doc = copy.deepcopy(named("Deployment", "gateway"))
    doc["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/", "port": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


# Workloads --------------------------------------------------------------------------------------------------


def test_every_container_has_probes_and_resource_requests() -> None:
    checked = set()
    for workload, container in containers():
        if any(
            container is c for w in workloads() for c in w["spec"]["template"]["spec"].get("initContainers", [])
        ):
            continue  # init containers run once, before the probes start
        where = f"{workload}/{container['name']}"
        assert container.get("livenessProbe"), f"{where}: no livenessProbe"
        assert container.get("readinessProbe"), f"{where}: no readinessProbe"
        requests = container.get("resources", {}).get("requests", {})
        assert {"cpu", "memory"} <= set(requests), f"{where}: no cpu and memory requests"
        assert "memory" in container["resources"].get("limits", {}), f"{where}: no memory limit"
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
        checked.add(workload)
    assert checked == {"gateway", "worker", "rasa", "actions", "redis"}


def test_redis_keeps_an_append_only_file_on_a_persistent_volume() -> None:
    redis = named("StatefulSet", "redis")
    assert redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    conf = config_map("redis-config")["redis.conf"]
    assert re.search(r"^appendonly yes$", conf, re.MULTILINE)
    assert re.search(r"^dir /data$", conf, re.MULTILINE)
    assert re.search(r"^maxmemory-policy noeviction$", conf, re.MULTILINE)
    mounts = {
        m["name"]: m["mountPath"] for m in redis["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    assert mounts["data"] == "/data"


def test_gateway_and_worker_scale_and_every_deployment_has_a_disruption_budget() -> None:
    scaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in of_kind("HorizontalPodAutoscaler")}
    assert {"gateway", "worker"} <= scaled
    for hpa in of_kind("HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] >= 2
        # the autoscaler owns the replica count: a fixed one would be reset at every apply
        assert "replicas" not in named("Deployment", hpa["spec"]["scaleTargetRef"]["name"])["spec"]
    assert named("HorizontalPodAutoscaler", "worker")["spec"]["maxReplicas"] <= int(
        config_map("helpdesk-config")["INBOUND_PARTITIONS"]
    )
    for deployment in of_kind("Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(matches(pdb["spec"]["selector"], labels) for pdb in of_kind("PodDisruptionBudget")), deployment[
            "metadata"
        ]["name"]
        rolling = deployment["spec"]["strategy"]["rollingUpdate"]
        assert rolling["maxUnavailable"] == 0, "rolling updates never go below the running pods"


# Settings and credentials -----------------------------------------------------------------------------------


def image_of(container: dict[str, Any]) -> str:
    return container["image"].rsplit(":", 1)[0]


def rasa_image_names() -> set[str]:
    """What Rasa's endpoints.yml and the custom actions read from the environment, and Rasa's own switch."""
    names = set(re.findall(r"\$\{([A-Z0-9_]+)\}", (ROOT / "endpoints.yml").read_text(encoding="utf-8")))
    for path in (ROOT / "actions").glob("*.py"):
        names |= set(re.findall(r"os\.environ(?:\.get)?[\[(]\"([A-Z0-9_]+)\"", path.read_text(encoding="utf-8")))
    return names | {"RASA_TELEMETRY_ENABLED"}


def test_every_environment_variable_is_read_by_its_process() -> None:
    allowed = {
        "migrant-helpdesk/gateway": SETTINGS,
        "migrant-helpdesk/rasa": rasa_image_names(),
        "redis": {"REDIS_PASSWORD", "REDISCLI_AUTH"},  # the start command's and redis-cli's
    }
    for workload, container in containers():
        image = image_of(container)
        assert image in allowed, f"{workload}: an image this test does not know: {image}"
        # a variable that only builds another one, as $(NAME), is read by nobody else
        unknown = env_names(container) - allowed[image] - referenced(container)
        assert not unknown, f"{workload}: not read by the process: {sorted(unknown)}"


def test_the_config_map_is_a_valid_settings() -> None:
    data = config_map("helpdesk-config")
    settings = Settings(_env_file=None, **{key.lower(): value for key, value in data.items()})  # type: ignore[call-arg]
    assert settings.embedded_worker is False
    assert settings.gateway_host == "0.0.0.0"  # inside the pod
    assert settings.trusted_proxies, "behind the ingress the gateway must know its proxies (TRUSTED_PROXIES)"


def test_the_compose_file_uses_real_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    gateway_env = set(compose["x-gateway-env"]) | set(compose["services"]["gateway"]["environment"])
    assert gateway_env <= SETTINGS, sorted(gateway_env - SETTINGS)
    for name in ("rasa-1", "rasa-2", "actions"):
        env = set(compose["services"][name]["environment"])
        assert env <= rasa_image_names() | {"RASA_TOKEN"}, (name, sorted(env - rasa_image_names()))
    redis_command = compose["services"]["redis"]["command"]
    assert redis_command[redis_command.index("--appendonly") + 1] == "yes"
    for name, service in compose["services"].items():
        assert service.get("healthcheck"), f"{name}: no healthcheck"
        assert service.get("restart") == "unless-stopped", f"{name}: no restart policy"
        assert service.get("deploy", {}).get("resources", {}).get("limits"), f"{name}: no resource limits"


def test_the_compose_load_balancer_knows_every_rasa_server() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    servers = {name for name in compose["services"] if re.fullmatch(r"rasa-\d+", name)}
    assert len(servers) >= 2
    conf = (ROOT / "deploy" / "compose" / "rasa-lb.conf").read_text(encoding="utf-8")
    assert set(re.findall(r"^\s*server (rasa-\d+):5005 ", conf, re.MULTILINE)) == servers
    assert compose["x-gateway-env"]["RASA_URL"] == "http://rasa-lb:5005"
    for name in servers:
        command = compose["services"][name]["command"]
        assert any(arg.startswith("--auth-token=") for arg in command), name


def test_every_credential_comes_from_the_secret() -> None:
    template = template_keys()
    assert all(value == "" for value in template.values()), "the template must hold no value"
    used = set()
    for workload, container in containers():
        for item in container.get("env", []):
            name, source = item["name"], item.get("valueFrom", {})
            if CREDENTIAL.search(name):
                ref = source.get("secretKeyRef")
                assert ref, f"{workload}: {name} must come from the Secret"
                assert ref["name"] == SECRET_NAME and ref["key"] in template, f"{workload}: {name}"
                used.add(ref["key"])
            assert "@" not in str(item.get("value", "")).replace("@redis:", ""), (
                f"{workload}: {name} has a password"
            )
            if name == "REDIS_URL":
                assert item["value"].startswith("redis://:$(REDIS_PASSWORD)@"), workload
    assert used == set(template), f"template keys nobody uses: {sorted(set(template) - used)}"
    for name, data in [(cm["metadata"]["name"], cm["data"]) for cm in of_kind("ConfigMap")]:
        assert not [key for key in data if CREDENTIAL.search(key) or key == "REDIS_URL"], name
    secret_settings = {name for name in SETTINGS if CREDENTIAL.search(name)}
    assert {"RASA_TOKEN", "TELEGRAM_BOT_TOKEN", "TWILIO_AUTH_TOKEN", "VIBER_AUTH_TOKEN"} <= secret_settings
    for workload in ("gateway", "worker"):
        (container,) = named("Deployment", workload)["spec"]["template"]["spec"]["containers"]
        from_secret = {i["name"] for i in container["env"] if "secretKeyRef" in i.get("valueFrom", {})}
        assert secret_settings <= from_secret, f"{workload}: missing {sorted(secret_settings - from_secret)}"
    assert not of_kind("Secret"), "no Secret manifest with values: the secretGenerator makes it from secrets.env"


def test_the_components_agree_on_shared_settings() -> None:
    gateway, rasa = config_map("helpdesk-config"), config_map("rasa-config")
    assert gateway["RASA_REDIS_DB"] == rasa["RASA_REDIS_DB"]
    assert int(gateway["RETENTION_DAYS"]) * 24 * 3600 == int(rasa["RASA_TRACKER_TTL_SECONDS"])
    services = {s["metadata"]["name"]: {p["port"] for p in s["spec"]["ports"]} for s in of_kind("Service")}
    for url in (gateway["RASA_URL"], rasa["ACTION_ENDPOINT_URL"]):
        parts = urlsplit(url)
        assert parts.port in services[parts.hostname], url
    assert int(rasa["RASA_REDIS_PORT"]) in services[rasa["RASA_REDIS_HOST"]]
    actions_env = named("Deployment", "actions")["spec"]["template"]["spec"]["containers"][0]["env"]
    centre = next(i for i in actions_env if i["name"] == "HANDOFF_DEFAULT_CENTRE")
    assert centre["valueFrom"]["configMapKeyRef"] == {"name": "helpdesk-config", "key": "HANDOFF_DEFAULT_CENTRE"}


# The network ------------------------------------------------------------------------------------------------


def test_rasa_actions_and_redis_are_private() -> None:
    policies = of_kind("NetworkPolicy")
    assert any(p["spec"]["podSelector"] == {} and p["spec"]["policyTypes"] == ["Ingress"] for p in policies), (
        "a default deny of incoming connections"
    )
    for name, allowed in PRIVATE.items():
        labels = component(name)
        selecting = [p for p in policies if matches(p["spec"]["podSelector"], labels)]
        assert [p for p in selecting if p["spec"]["podSelector"]], f"no NetworkPolicy of its own for {name}"
        for policy in selecting:
            assert "Ingress" in policy["spec"]["policyTypes"]
            for rule in policy["spec"].get("ingress", []):
                assert rule.get("from"), f"{policy['metadata']['name']}: a rule open to everyone"
                for peer in rule["from"]:
                    assert set(peer) == {"podSelector"}, f"{name}: only pods of this namespace may connect"
                    peer_component = peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
                    assert peer_component in allowed, f"{name} is reachable from {peer_component}"


def test_only_the_gateway_is_exposed() -> None:
    for service in of_kind("Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]
    (ingress,) = of_kind("Ingress")
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert {p["backend"]["service"]["name"] for p in paths} == {"gateway"}
    assert {p["path"] for p in paths} == {"/webhooks", "/chat", "/inbox", "/campaigns"}  # not /metrics
    (gateway_policy,) = [p for p in of_kind("NetworkPolicy") if p["metadata"]["name"] == "gateway"]
    assert matches(gateway_policy["spec"]["podSelector"], component("gateway"))


# The worker's health check (docker/healthcheck.py) ---------------------------------------------------------


def test_the_worker_health_check_reads_this_hosts_heartbeat() -> None:
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "docker" / "healthcheck.py")
    assert spec and spec.loader
    healthcheck = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(healthcheck)

    class Beats:
        def __init__(self, beats: dict[str, float]) -> None:
            self.beats = beats

        def zrange(self, name: str, start: int, end: int, withscores: bool = False) -> list[tuple[bytes, float]]:
            assert (name, start, end, withscores) == ("hd:in:workers", 0, -1, True)
            return [(member.encode(), score) for member, score in self.beats.items()]

    now = 1_000_000.0
    beats = Beats({"worker-abc:7:1a2b3c": now - 4, "worker-abcd:7:ffffff": now - 1})
    assert healthcheck.worker_alive(beats, "worker-abc", now)
    assert not healthcheck.worker_alive(beats, "worker-ab", now)  # a longer host name is another pod
    assert not healthcheck.worker_alive(beats, "worker-abc", now + 60)  # its beat is stale
    assert not healthcheck.worker_alive(Beats({}), "worker-abc", now)
