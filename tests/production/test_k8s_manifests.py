"""deploy/k8s/: the Kubernetes manifests are valid against the Kubernetes API schema (kubernetes-validate,
strict: no unknown fields) and consistent with each other and with the app: probes hit routes that exist,
Services and PodDisruptionBudgets select their Deployment's pods, every setting the replicas need is set."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from deploy.run_replicas import REQUIRED

MANIFESTS = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.28.0"
# What the Secret `fellside-secrets` holds (deploy/k8s/config.yaml says how to create it).
SECRET_KEYS = {
    "RASA_TOKEN", "WEBCHAT_SECRET", "SANDBOX_WEBHOOK_SECRET", "SHOP_SESSION_SECRET", "ACTION_ENDPOINT_TOKEN",
    "SHOP_DATABASE_URL", "RASA_TRACKER_DB_PASSWORD", "RABBITMQ_PASSWORD",
}


def resources() -> list[dict]:
    found = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        found.extend(document for document in yaml.safe_load_all(path.read_text()) if document)
    return found


def of_kind(kind: str) -> dict[str, dict]:
    return {resource["metadata"]["name"]: resource for resource in resources() if resource["kind"] == kind}


def test_every_manifest_is_valid_against_the_kubernetes_schema() -> None:
    import kubernetes_validate

    kinds = sorted(resource["kind"] for resource in resources())
    assert kinds == sorted(
        ["ConfigMap", "Deployment", "Deployment", "Deployment", "Service", "Service", "PodDisruptionBudget", "PodDisruptionBudget", "Job", "Ingress"]
    )
    for resource in resources():
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)  # raises on any schema error


def test_an_invalid_manifest_is_rejected() -> None:
    # The validator is no rubber stamp: a probe without a port fails, as does an unknown field.
    import kubernetes_validate

    deployment = of_kind("Deployment")["bot-server"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    del broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    unknown = yaml.safe_load(yaml.safe_dump(deployment))
    unknown["spec"]["replica"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown, KUBERNETES_VERSION, strict=True)


def test_probes_hit_the_health_routes_and_disruption_budgets_keep_one_of_each() -> None:
    from bot.server.app import create_app
    from tests.conftest import make_settings
    from bot.kernel.shop import Shop

    shop = Shop(make_settings("sqlite://"))
    try:
        app = create_app(shop, name="k8s_probe_routes", run_sweeper=False)
        bot_routes = {route.path.rstrip("/") or "/" for route in app.router.routes}
    finally:
        shop.close()
    deployments, services, budgets = of_kind("Deployment"), of_kind("Service"), of_kind("PodDisruptionBudget")
    consumer = deployments.pop("funnel-consumer")  # serves nothing: no Service, probe or budget (see its header)
    assert consumer["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "bot.adapters.funnel_consumer"
    assert "ports" not in consumer["spec"]["template"]["spec"]["containers"][0]
    assert set(deployments) == set(services) == set(budgets) == {"rasa", "bot-server"}
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert services[name]["spec"]["selector"].items() <= pod_labels.items()
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert budgets[name]["spec"]["minAvailable"] == 1
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        port = container["ports"][0]["containerPort"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            get = container[probe]["httpGet"]
            assert get["port"] == "http"
            if name == "bot-server":
                assert get["path"].lstrip("/") in bot_routes, get
            else:  # Rasa answers "/" (no token) only once its model is loaded: it loads before it listens
                assert get["path"] == "/"
        assert port == {"rasa": 5005, "bot-server": 5055}[name]


def test_every_setting_the_replicas_need_comes_from_the_config_map_or_the_secret() -> None:
    config = of_kind("ConfigMap")["fellside-config"]
    available = set(config["data"]) | SECRET_KEYS
    assert set(REQUIRED) <= available, set(REQUIRED) - available
    # Secrets are never in the ConfigMap, and the ConfigMap says which keys the Secret must hold.
    assert not SECRET_KEYS & set(config["data"])
    header = (MANIFESTS / "config.yaml").read_text().split("apiVersion:")[0]
    assert all(key in header for key in SECRET_KEYS)
    for deployment in of_kind("Deployment").values():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        sources = {next(iter(source)): next(iter(source.values()))["name"] for source in container["envFrom"]}
        assert sources == {"configMapRef": "fellside-config", "secretRef": "fellside-secrets"}
