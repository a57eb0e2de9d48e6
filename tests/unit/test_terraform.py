"""Offline checks of the deployment: terraform/ parses, agrees with the function registry, and keeps
its security promises; cloudbuild.yaml is well formed.

No terraform binary is reachable from our machines, so this is what stands in for `terraform
validate` here: every .tf file is parsed with python-hcl2, and the references between modules
(variables, outputs, locals) are cross-checked. `terraform init/validate/plan` run in Cloud Build.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from functions import terraform_vars
from functions.local.router import prefix_matches, specificity
from functions.registry import FUNCTIONS, Trigger, http_functions

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "terraform"
MODULES = TF / "modules"
ENVIRONMENTS = ("staging", "production")
TF_FILES = sorted(p for p in TF.rglob("*.tf") if ".terraform" not in p.parts)
MODULE_NAMES = ("network", "database", "cache", "storage", "messaging", "functions", "scheduler", "edge",
                "monitoring", "iam", "platform")
META_ARGUMENTS = {"source", "version", "depends_on", "for_each", "count", "providers"}


# --- parsing helpers -------------------------------------------------------------------------------

@functools.cache
def _hcl2() -> Any:
    return pytest.importorskip("hcl2", reason="python-hcl2 is not installed (pip install python-hcl2)")


@functools.cache
def parse(path: Path) -> dict[str, Any]:
    hcl2 = _hcl2()
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
    parsed: dict[str, Any] = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=options)
    return parsed


@functools.cache
def config(directory: Path) -> dict[str, list[Any]]:
    """Every top-level block of a module directory, merged over its files."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        for key, value in parse(path).items():
            merged.setdefault(key, []).extend(value if isinstance(value, list) else [value])
    return merged


def module(name: str) -> dict[str, list[Any]]:
    return config(MODULES / name)


def environment(name: str) -> dict[str, list[Any]]:
    return config(TF / "environments" / name)


def resources(cfg: dict[str, list[Any]], rtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in cfg.get("resource", []):
        found.update(block.get(rtype, {}))
    return found


def data_sources(cfg: dict[str, list[Any]], dtype: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in cfg.get("data", []):
        found.update(block.get(dtype, {}))
    return found


def named_blocks(cfg: dict[str, list[Any]], kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in cfg.get(kind, []):
        found.update(block)
    return found


def locals_of(cfg: dict[str, list[Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in cfg.get("locals", []):
        merged.update(block)
    return merged


def one(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The single nested block `key` of a block."""
    value = body[key]
    assert isinstance(value, list) and len(value) == 1, f"expected one {key} block"
    block: dict[str, Any] = value[0]
    return block


def dynamic(body: dict[str, Any], name: str) -> dict[str, Any]:
    for block in body.get("dynamic", []):
        if name in block:
            found: dict[str, Any] = block[name]
            return found
    raise AssertionError(f"no dynamic {name} block")


def platform_call(env: str) -> dict[str, Any]:
    call: dict[str, Any] = named_blocks(environment(env), "module")["platform"]
    return call


def text_without_comments(path: Path) -> str:
    return "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith(("#", "//")))


def generated() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(terraform_vars.OUTPUT.read_text(encoding="utf-8"))
    return loaded


# --- the registry and the generated variables -------------------------------------------------------

def test_committed_tfvars_match_the_registry() -> None:
    assert terraform_vars.OUTPUT.exists(), "run `python -m functions.terraform_vars --write`"
    assert terraform_vars.OUTPUT.read_text(encoding="utf-8") == terraform_vars.render(), (
        "terraform/generated/functions.tfvars.json drifted from functions/registry.py: "
        "run `python -m functions.terraform_vars --write` and commit the result"
    )


def test_check_mode_reports_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "functions.tfvars.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(terraform_vars, "OUTPUT", stale)
    assert terraform_vars.main(["--check"]) == 1
    assert terraform_vars.main(["--write"]) == 0
    assert terraform_vars.main(["--check"]) == 0


def test_every_registry_row_is_in_the_generated_functions() -> None:
    functions = generated()["functions"]
    assert set(functions) == {spec.name for spec in FUNCTIONS}
    for spec in FUNCTIONS:
        row = functions[spec.name]
        assert row["entry_point"] == spec.entry_point
        assert row["trigger"] == spec.trigger.value
        assert row["paths"] == list(spec.paths)
        assert (row["memory_mb"], row["timeout_s"]) == (spec.memory_mb, spec.timeout_s)
        assert (row["max_instances"], row["min_instances"]) == (spec.max_instances, spec.min_instances)
        assert row["concurrency"] == spec.concurrency
        assert sorted(row["secrets"]) == sorted(spec.secrets)
        assert row["role"] in {"api", "webhooks", "sync", "jobs"}


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_concurrent_functions_get_at_least_one_vcpu(spec) -> None:
    cpu = float(generated()["functions"][spec.name]["cpu"])
    if spec.concurrency > 1:
        assert cpu >= 1
    assert cpu > 0


def test_topics_and_schedules_come_from_the_registry() -> None:
    tfvars = generated()
    for spec in FUNCTIONS:
        if spec.trigger is Trigger.PUBSUB:
            assert spec.topic in tfvars["topics"]
        if spec.trigger is Trigger.SCHEDULE:
            assert tfvars["schedules"][spec.name] == {
                "schedule": spec.schedule, "time_zone": "Etc/UTC", "timeout_s": spec.timeout_s}
            assert tfvars["functions"][spec.name]["topic"] is None
    assert set(tfvars["schedules"]) == {s.name for s in FUNCTIONS if s.trigger is Trigger.SCHEDULE}
    assert set(terraform_vars.PUBLISHED_TOPICS) <= set(tfvars["topics"])
    # Cloud Scheduler calls the functions over HTTP: no topic exists only for a schedule.
    assert set(tfvars["topics"]) == {s.topic for s in FUNCTIONS if s.topic} | set(terraform_vars.PUBLISHED_TOPICS)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_both_environments_read_the_generated_file(env: str) -> None:
    registry = locals_of(environment(env))["registry"]
    assert "generated/functions.tfvars.json" in registry and "jsondecode(file(" in registry
    call = platform_call(env)
    for key in ("functions", "topics", "schedules", "routes"):
        assert call[key] == f"${{local.registry.{key}}}"
    assert call["environment"] == env


# --- providers, backend, module wiring --------------------------------------------------------------

def test_every_tf_file_parses() -> None:
    assert len(TF_FILES) > 30
    for path in TF_FILES:
        assert isinstance(parse(path), dict), path


def test_modules_and_environments_exist() -> None:
    for name in MODULE_NAMES:
        for file in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
            assert (MODULES / name / file).exists(), f"modules/{name}/{file}"
    for env in ENVIRONMENTS:
        for file in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "providers.tf"):
            assert (TF / "environments" / env / file).exists(), f"environments/{env}/{file}"


def _required_providers(cfg: dict[str, list[Any]]) -> dict[str, dict[str, str]]:
    providers: dict[str, dict[str, str]] = {}
    for block in cfg.get("terraform", []):
        assert block.get("required_version", "").startswith(">= 1."), "required_version"
        for req in block.get("required_providers", []):
            providers.update(req)
    return providers


@pytest.mark.parametrize("directory", [MODULES / m for m in MODULE_NAMES]
                         + [TF / "environments" / e for e in ENVIRONMENTS], ids=lambda p: p.name)
def test_providers_are_pinned(directory: Path) -> None:
    cfg = config(directory)
    providers = _required_providers(cfg)
    used = {rtype.split("_")[0] for block in cfg.get("resource", []) + cfg.get("data", []) for rtype in block}
    assert "google" in providers
    for name, spec in providers.items():
        assert spec["source"] == f"hashicorp/{name}"
        assert re.fullmatch(r"~> \d+\.\d+", spec["version"]), f"{name} must be pinned with ~> major.minor"
    assert providers["google"]["version"].startswith("~> 6.")
    if "google-beta" in providers:
        assert providers["google-beta"]["version"] == providers["google"]["version"]
    if "archive" in used:
        assert providers["archive"]["version"].startswith("~> 2.")
    if directory.parent.name == "environments":
        assert {"google", "google-beta", "archive"} <= set(providers)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_state_is_kept_in_a_gcs_backend(env: str) -> None:
    backends = [b for block in environment(env)["terraform"] for b in block.get("backend", [])]
    assert len(backends) == 1 and set(backends[0]) == {"gcs"}
    assert backends[0]["gcs"]["prefix"] == f"affiliate-platform/{env}"


VAR_REF = re.compile(r"\bvar\.([A-Za-z_][A-Za-z0-9_]*)")
LOCAL_REF = re.compile(r"\blocal\.([A-Za-z_][A-Za-z0-9_]*)")
MODULE_REF = re.compile(r"\bmodule\.([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)")


def _module_dirs() -> list[Path]:
    return [MODULES / m for m in MODULE_NAMES] + [TF / "environments" / e for e in ENVIRONMENTS]


@pytest.mark.parametrize("directory", _module_dirs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_references_resolve(directory: Path) -> None:
    """What `terraform validate` would catch first: undeclared variables, locals, module inputs, outputs."""
    cfg = config(directory)
    variables = named_blocks(cfg, "variable")
    local_names = set(locals_of(cfg))
    calls = named_blocks(cfg, "module")
    text = "\n".join(text_without_comments(p) for p in sorted(directory.glob("*.tf")))
    assert set(VAR_REF.findall(text)) <= set(variables), "undeclared variables"
    assert set(LOCAL_REF.findall(text)) <= local_names, "undefined locals"
    for name, call in calls.items():
        target = config((directory / call["source"]).resolve())
        target_vars = named_blocks(target, "variable")
        arguments = set(call) - META_ARGUMENTS
        assert arguments <= set(target_vars), f"module {name}: unknown inputs {arguments - set(target_vars)}"
        required = {v for v, body in target_vars.items() if "default" not in body}
        assert required <= arguments, f"module {name}: missing inputs {required - arguments}"
    for name, output in MODULE_REF.findall(text):
        assert name in calls, f"module.{name} is not called here"
        target = config((directory / calls[name]["source"]).resolve())
        assert output in named_blocks(target, "output"), f"module.{name}.{output} is not an output"
    for variable, body in variables.items():
        assert body.get("description"), f"variable {variable} needs a description"
    for output, body in named_blocks(cfg, "output").items():
        assert body.get("description"), f"output {output} needs a description"


# --- functions -------------------------------------------------------------------------------------

def _function() -> dict[str, Any]:
    return resources(module("functions"), "google_cloudfunctions2_function")["function"]


def test_one_function_per_registry_row_via_for_each() -> None:
    function = _function()
    assert function["for_each"] == "${var.functions}"
    assert function["name"] == "${each.key}"
    build = one(function, "build_config")
    assert build["runtime"] == "python311"
    assert build["entry_point"] == "${each.value.entry_point}"
    storage = one(one(build, "source"), "storage_source")
    assert storage["object"] == "${google_storage_bucket_object.source.name}"
    assert named_blocks(module("platform"), "module")["functions"]["functions"] == "${var.functions}"


def test_every_function_has_a_service_account_the_connector_and_its_sizes() -> None:
    service = one(_function(), "service_config")
    assert service["service_account_email"] == "${var.runtime_emails[each.value.role]}"
    assert service["vpc_connector"] == "${var.connector_id}"
    assert service["vpc_connector_egress_settings"] == "PRIVATE_RANGES_ONLY"
    assert service["available_memory"] == "${each.value.memory_mb}M"
    assert service["available_cpu"] == "${each.value.cpu}"
    assert service["timeout_seconds"] == "${each.value.timeout_s}"
    assert service["max_instance_request_concurrency"] == "${each.value.concurrency}"
    assert "each.value.max_instances" in service["max_instance_count"]
    assert "each.value.min_instances" in service["min_instance_count"]
    assert "ALLOW_INTERNAL_AND_GCLB" in service["ingress_settings"]
    assert "ALLOW_INTERNAL_ONLY" in service["ingress_settings"]
    assert "event_trigger" not in _function(), "event rows are invoked by our own push subscriptions"


def test_secrets_reach_the_functions_only_from_secret_manager() -> None:
    service = one(_function(), "service_config")
    secrets = dynamic(service, "secret_environment_variables")
    assert secrets["for_each"] == "${toset(each.value.secrets)}"
    content = one(secrets, "content")
    assert content["key"] == "${secret_environment_variables.value}"
    assert content["secret"] == "${var.secret_ids[secret_environment_variables.value]}"
    env = locals_of(module("platform"))["function_env"]
    for name, value in [("APP_ENV", "production"), ("EVENT_BUS", "pubsub"), ("TRUSTED_PROXY_HOPS", "2")]:
        assert f'{name} = "{value}"' in re.sub(r"\s+", " ", env)
    for name in ("GOOGLE_CLOUD_PROJECT", "QR_BUCKET", "PUBLIC_BASE_URL"):
        assert name in env
    registry_secrets = {s for spec in FUNCTIONS for s in spec.secrets}
    assert not any(re.search(rf"\b{s}\s*=", env) for s in registry_secrets), "a secret as a plain env var"
    secret_ids = resources(module("iam"), "google_secret_manager_secret")["secret"]
    assert "var.secret_consumers" in secret_ids["for_each"]


def test_source_archive_is_named_by_its_hash_and_leaves_out_tests_and_tooling() -> None:
    archive = data_sources(module("functions"), "archive_file")["source"]
    assert archive["type"] == "zip" and archive["excludes"] == "${var.source_excludes}"
    excludes = named_blocks(module("functions"), "variable")["source_excludes"]["default"]
    for path in ("tests/**", "benchmarks/**", "terraform/**", ".venv/**", ".local/**", ".git/**"):
        assert path in excludes
    obj = resources(module("functions"), "google_storage_bucket_object")["source"]
    assert "${data.archive_file.source.output_md5}" in obj["name"]


def test_migrations_run_as_a_cloud_run_job_from_the_same_code() -> None:
    job = resources(module("functions"), "google_cloud_run_v2_job")["migrations"]
    assert job["name"] == "migrations"
    container = one(one(one(job, "template"), "template"), "containers")
    assert container["args"] == ["python", "-m", "migrations", "up"]
    template = one(one(job, "template"), "template")
    assert template["service_account"] == "${var.migrations_service_account}"
    assert one(template, "vpc_access")["connector"] == "${var.connector_id}"


def test_sync_all_runs_as_a_cloud_run_job_the_everflow_api_may_start() -> None:
    """SYNC_ALL_CLOUD_RUN_JOB names a job Terraform defines; only the launcher's identity may run it."""
    functions = module("functions")
    job = resources(functions, "google_cloud_run_v2_job")["sync_all"]
    migrations = resources(functions, "google_cloud_run_v2_job")["migrations"]
    assert job["name"] == "sync-all"
    template = one(one(job, "template"), "template")
    container = one(template, "containers")
    assert container["image"] == one(one(one(migrations, "template"), "template"), "containers")["image"]
    assert container["command"] == ["launcher"]  # the buildpacks launcher; the args are overridden per run
    assert container["args"] == ["python", "-m", "functions.sync_all"]
    assert template["service_account"] == "${var.sync_all_service_account}"
    assert one(template, "vpc_access")["connector"] == "${var.connector_id}"
    secrets = [block["env"] for block in container["dynamic"] if "value_source" in str(block)]
    assert secrets and secrets[0]["for_each"] == "${toset(var.sync_all_secrets)}"
    # The launcher reads the job's full name from SYNC_ALL_CLOUD_RUN_JOB (shared/adapters/job_launcher.py).
    assert locals_of(functions)["sync_all_job"] == (
        "projects/${var.project_id}/locations/${var.region}/jobs/${google_cloud_run_v2_job.sync_all.name}")
    env = one(_function(), "service_config")["environment_variables"]
    assert "each.key == var.sync_all_launcher" in env and "SYNC_ALL_CLOUD_RUN_JOB = local.sync_all_job" in env
    launcher = named_blocks(functions, "variable")["sync_all_launcher"]["default"]
    spec = next(spec for spec in FUNCTIONS if spec.name == launcher)
    assert "configured_launcher(" in (ROOT / (spec.module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
    # Least privilege: run with overrides, on this job only, for the launcher's runtime identity.
    grant = resources(functions, "google_cloud_run_v2_job_iam_member")["sync_all_launcher"]
    assert grant["role"] == "roles/run.jobsExecutorWithOverrides"
    assert grant["name"] == "${google_cloud_run_v2_job.sync_all.name}"
    assert grant["member"] == "serviceAccount:${var.runtime_emails[var.functions[var.sync_all_launcher].role]}"
    assert not any("run.jobsExecutor" in text_without_comments(path) or "run.developer" in text_without_comments(path)
                   for path in TF_FILES if path.parent.name != "functions")
    # Its own identity, with the secrets of everflow-sync (same sync code) and a database user.
    platform = module("platform")
    assert locals_of(platform)["sync_all_secrets"] == '${var.functions["everflow-sync"].secrets}'
    call = named_blocks(platform, "module")["functions"]
    assert call["sync_all_service_account"] == "${module.iam.sync_all_email}"
    assert call["sync_all_secrets"] == "${local.sync_all_secrets}"
    database_users = named_blocks(platform, "module")["database"]["iam_service_accounts"]
    assert "sync_all = module.iam.sync_all_email" in database_users
    iam = module("iam")
    assert resources(iam, "google_service_account")["sync_all"]["account_id"] == "sync-all"
    assert "var.sync_all_secrets" in locals_of(iam)["secret_bindings"]


# --- secrets and identity ---------------------------------------------------------------------------

SECRET_LITERALS = re.compile(r"sk_(live|test)_|whsec_|-----BEGIN|postgres(ql)?://[^\"$]*:[^\"$]*@|rediss?://:[^\"$]+@")


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(TF)))
def test_no_secret_values_inline(path: Path) -> None:
    text = text_without_comments(path)
    assert not SECRET_LITERALS.search(text)
    cfg = parse(path)
    assert not resources(cfg, "google_secret_manager_secret_version"), "secret values never go through Terraform"
    for user in resources(cfg, "google_sql_user").values():
        assert "password" not in user and user["type"] == "CLOUD_IAM_SERVICE_ACCOUNT"
    assert not re.search(r"\bsecret_data\s*=", text)


def test_no_primitive_roles_and_invoker_only_where_needed() -> None:
    for path in TF_FILES:
        text = text_without_comments(path)
        assert not re.search(r"roles/(owner|editor|viewer)\b", text), path
        if "roles/run.invoker" in text:
            assert path.parent.name in {"functions", "messaging", "scheduler"}, path
    public = resources(module("functions"), "google_cloud_run_v2_service_iam_member")["load_balancer_invoker"]
    assert "local.http_functions" in public["for_each"]
    push = resources(module("messaging"), "google_cloud_run_v2_service_iam_member")["push_invoker"]
    assert push["for_each"] == "${local.event_functions}"
    assert push["member"] == "serviceAccount:${var.push_service_account_email}"


def test_one_runtime_service_account_per_role() -> None:
    runtime = resources(module("iam"), "google_service_account")["runtime"]
    assert runtime["for_each"] == "${var.runtime_roles}"
    assert runtime["account_id"] == "fn-${each.key}"
    accounts = set(resources(module("iam"), "google_service_account"))
    assert {"runtime", "pubsub_push", "migrations", "builder", "deployer"} <= accounts


def test_the_deployer_may_grant_only_the_platforms_own_project_roles() -> None:
    """projectIamAdmin only under a modifiedGrantsByRole condition listing the roles Terraform grants."""
    iam = module("iam")
    iam_locals = locals_of(iam)
    assert "roles/resourcemanager.projectIamAdmin" not in iam_locals["deployer_project_roles"]
    grant = resources(iam, "google_project_iam_member")["deployer_project_iam"]
    assert grant["role"] == "roles/resourcemanager.projectIamAdmin"
    expression = one(grant, "condition")["expression"]
    assert expression.startswith("api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([")
    assert "local.delegable_project_roles" in expression
    names = ("runtime_project_roles", "migrations_project_roles", "sync_all_project_roles", "builder_project_roles")
    for name in names:
        assert f"local.{name}" in iam_locals["delegable_project_roles"]
    granted = {role for name in names for role in iam_locals[name]}
    assert not any(role.endswith(("admin", "Admin")) or "iam." in role for role in granted), granted
    project_grants = resources(iam, "google_project_iam_member")
    assert set(project_grants) == {"runtime", "migrations", "sync_all", "builder", "deployer", "deployer_project_iam"}


# --- data --------------------------------------------------------------------------------------------

def _sql() -> dict[str, Any]:
    return resources(module("database"), "google_sql_database_instance")["postgres"]


def test_cloud_sql_is_private_with_iam_auth_backups_and_pitr() -> None:
    instance = _sql()
    assert instance["database_version"] == "POSTGRES_15"
    assert instance["deletion_protection"] == "${var.deletion_protection}"
    settings = one(instance, "settings")
    ip = one(settings, "ip_configuration")
    assert ip["ipv4_enabled"] is False
    assert ip["private_network"] == "${var.network_id}"
    assert "authorized_networks" not in ip
    assert ip["ssl_mode"] == "ENCRYPTED_ONLY"
    backup = one(settings, "backup_configuration")
    assert backup["enabled"] is True and backup["start_time"] == "03:00"
    assert backup["point_in_time_recovery_enabled"] is True
    retention = one(backup, "backup_retention_settings")
    assert (retention["retained_backups"], retention["retention_unit"]) == (30, "COUNT")
    flags = {flag["name"]: flag["value"] for flag in settings["database_flags"]}
    assert flags["cloudsql.iam_authentication"] == "on"
    assert settings["availability_type"] == "${var.availability_type}"
    user = resources(module("database"), "google_sql_user")["iam"]
    assert user["type"] == "CLOUD_IAM_SERVICE_ACCOUNT"
    assert user["name"] == '${trimsuffix(each.value, ".gserviceaccount.com")}'


@pytest.mark.parametrize(("env", "sql", "redis"), [("production", "REGIONAL", "STANDARD_HA"),
                                                   ("staging", "ZONAL", "BASIC")])
def test_high_availability_in_production(env: str, sql: str, redis: str) -> None:
    call = platform_call(env)
    assert call["db_availability_type"] == sql
    assert call["redis_tier"] == redis
    assert call["deletion_protection"] is True
    database = named_blocks(module("platform"), "module")["database"]
    assert database["availability_type"] == "${var.db_availability_type}"
    cache = resources(module("cache"), "google_redis_instance")["cache"]
    assert cache["tier"] == "${var.tier}"
    assert cache["transit_encryption_mode"] == "SERVER_AUTHENTICATION" and cache["auth_enabled"] is True
    assert cache["connect_mode"] == "PRIVATE_SERVICE_ACCESS"


def test_every_function_trusts_the_redis_server_ca_and_no_output_carries_the_auth_string() -> None:
    """TLS to Memorystore verifies against the instance's CA (REDIS_CA_CERT, see shared/cache.py);
    the AUTH string is read with gcloud, never through a Terraform output."""
    env = re.sub(r"\s+", " ", locals_of(module("platform"))["function_env"])
    assert r'REDIS_CA_CERT = join("\n", module.cache.server_ca_certs)' in env
    certs = named_blocks(module("cache"), "output")["server_ca_certs"]["value"]
    assert certs == "${[for cert in google_redis_instance.cache.server_ca_certs : cert.cert]}"
    for path in TF_FILES:
        for name, output in named_blocks(parse(path), "output").items():
            assert "auth_string" not in name and "auth_string" not in str(output["value"]), path


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_database_connections_fit_max_connections(env: str) -> None:
    """Max instances x pool size (min(concurrency, db_pool_size_max)) fits max_connections (plan checks it too)."""
    call = platform_call(env)
    cap = call.get("max_instances_cap")
    pool_max = call["db_pool_size_max"]
    peak = sum((min(spec.max_instances, cap) if cap else spec.max_instances) * min(spec.concurrency, pool_max)
               for spec in FUNCTIONS)
    assert peak <= call["db_max_connections"], f"{env}: {peak} possible connections"
    service = one(_function(), "service_config")
    assert "min(each.value.concurrency, var.db_pool_size_max)" in service["environment_variables"]
    assert "min(f.concurrency, var.db_pool_size_max)" in locals_of(module("platform"))["peak_db_connections"]
    platform = locals_of(module("platform"))
    sync_all_runs = platform["sync_all_peak_runs"]
    assert "local.sync_all_peak_runs * min(5, var.db_pool_size_max)" in platform["peak_db_connections"]
    assert peak + sync_all_runs * min(5, pool_max) <= call["db_max_connections"], f"{env}: sync-all runs do not fit"


def test_no_ingress_from_anywhere_is_allowed() -> None:
    for path in TF_FILES:
        for name, rule in resources(parse(path), "google_compute_firewall").items():
            if "0.0.0.0/0" in rule.get("source_ranges", []):
                assert "allow" not in rule and rule.get("direction") == "INGRESS" and "deny" in rule, name


def test_buckets_are_private_with_lifecycle_rules() -> None:
    buckets = resources(module("storage"), "google_storage_bucket")
    for name, bucket in buckets.items():
        assert bucket["uniform_bucket_level_access"] is True, name
        assert bucket["public_access_prevention"] == "enforced", name
        assert bucket.get("lifecycle_rule") or bucket.get("dynamic"), name
    assert set(locals_of(module("storage"))["buckets"]) == {"qr", "exports", "sources"}
    exports_expiry = dynamic(buckets["bucket"], "lifecycle_rule")
    assert exports_expiry["for_each"] == '${each.key == "exports" ? [1] : []}'


# --- messaging and schedules -------------------------------------------------------------------------

def test_push_subscriptions_use_oidc_and_dead_letter_topics() -> None:
    messaging = module("messaging")
    subscriptions = resources(messaging, "google_pubsub_subscription")
    push = subscriptions["push"]
    assert push["for_each"] == "${local.event_functions}"
    assert 'f.trigger == "pubsub"' in locals_of(messaging)["event_functions"]
    config_ = one(push, "push_config")
    oidc = one(config_, "oidc_token")
    assert oidc["service_account_email"] == "${var.push_service_account_email}"
    assert oidc["audience"] == "${var.function_uris[each.key]}"
    dead_letter = one(push, "dead_letter_policy")
    assert dead_letter["dead_letter_topic"] == "${google_pubsub_topic.dead_letter[each.key].id}"
    assert dead_letter["max_delivery_attempts"] == "${var.max_delivery_attempts}"
    retry = one(push, "retry_policy")
    assert retry["minimum_backoff"] and retry["maximum_backoff"]
    # Every subscription is either a push subscription with a dead-letter policy or a dead-letter sink.
    assert set(subscriptions) == {"push", "dead_letter"}
    assert subscriptions["dead_letter"]["topic"] == "${google_pubsub_topic.dead_letter[each.key].id}"
    topics = resources(messaging, "google_pubsub_topic")
    assert topics["topic"]["for_each"] == "${toset(var.topics)}"


def test_the_pubsub_service_agent_can_dead_letter() -> None:
    messaging = module("messaging")
    publisher = resources(messaging, "google_pubsub_topic_iam_member")["dead_letter_publisher"]
    assert publisher["role"] == "roles/pubsub.publisher" and publisher["member"] == "${local.pubsub_agent}"
    assert publisher["topic"] == "${google_pubsub_topic.dead_letter[each.key].name}"
    subscriber = resources(messaging, "google_pubsub_subscription_iam_member")["source_subscriber"]
    assert subscriber["role"] == "roles/pubsub.subscriber" and subscriber["member"] == "${local.pubsub_agent}"
    assert subscriber["subscription"] == "${google_pubsub_subscription.push[each.key].name}"


def test_every_schedule_row_has_a_scheduler_job_with_retries() -> None:
    job = resources(module("scheduler"), "google_cloud_scheduler_job")["job"]
    assert job["for_each"] == "${var.schedules}"
    assert job["schedule"] == "${each.value.schedule}" and job["time_zone"] == "${each.value.time_zone}"
    retry = one(job, "retry_config")
    assert retry["retry_count"] == "${var.retry_count}"
    assert "each.value.timeout_s" in job["attempt_deadline"], "a long run must not count as a failed attempt"
    assert named_blocks(module("platform"), "module")["scheduler"]["schedules"] == "${var.schedules}"
    functions = generated()["functions"]
    for name, schedule in generated()["schedules"].items():
        assert functions[name]["trigger"] == "schedule" and schedule["timeout_s"] == functions[name]["timeout_s"]


def test_every_scheduler_job_uses_oidc() -> None:
    """Each job calls its function's URL with an OIDC token of the scheduler identity (audience = that URL)."""
    jobs = [(path, job) for path in TF_FILES for job in resources(parse(path), "google_cloud_scheduler_job").values()]
    assert jobs
    for path, job in jobs:
        assert "pubsub_target" not in job and "app_engine_http_target" not in job, path
        target = one(job, "http_target")
        oidc = one(target, "oidc_token")
        assert target["uri"] == "${var.function_uris[each.key]}"
        assert oidc["audience"] == target["uri"]
        assert oidc["service_account_email"] == "${var.service_account_email}"
        assert target["headers"]["ce-specversion"] and target["headers"]["ce-type"], "a CloudEvent (binary mode)"
    call = named_blocks(module("platform"), "module")["scheduler"]
    assert call["service_account_email"] == "${module.iam.scheduler_email}"
    assert call["function_uris"] == "${module.functions.uris}"
    iam = module("iam")
    assert resources(iam, "google_service_account")["scheduler"]["account_id"] == "scheduler"
    assert named_blocks(iam, "output")["scheduler_email"]["value"] == "${google_service_account.scheduler.email}"
    assert "google_service_account.scheduler.name" in str(
        resources(iam, "google_service_account_iam_member")["deployer_acts_as"]["for_each"])
    # run.invoker for the scheduler identity on exactly the scheduled functions.
    invoker = resources(module("scheduler"), "google_cloud_run_v2_service_iam_member")["invoker"]
    assert invoker["for_each"] == "${var.schedules}" and invoker["role"] == "roles/run.invoker"
    assert invoker["name"] == "${var.function_services[each.key]}"
    assert invoker["member"] == "serviceAccount:${var.service_account_email}"
    # No topic, subscription or push binding is left over for a schedule row.
    assert not any(t.startswith("schedule-") for t in generated()["topics"])
    assert 'f.trigger == "pubsub"' in locals_of(module("messaging"))["event_functions"]


# --- edge ----------------------------------------------------------------------------------------------

def _matches(match: dict[str, str | None], path: str) -> bool:
    if match["full_path_match"] is not None:
        return path == match["full_path_match"]
    if match["prefix_match"] is not None:
        return path.startswith(match["prefix_match"])
    template = match["path_template_match"]
    assert template is not None
    pattern = "".join(
        "[^/]+" if re.fullmatch(r"\{\w+=\*\}", part) else ".*" if part == "**" else re.escape(part)
        for part in re.split(r"(\{\w+=\*\}|\*\*)", template)
    )
    return re.fullmatch(pattern.replace("/.*", "(/.*)?"), path) is not None


def _load_balancer_route(path: str) -> str | None:
    for route in sorted(generated()["routes"], key=lambda r: r["priority"]):
        if any(_matches(m, path) for m in route["matches"]):
            function: str = route["function"]
            return function
    return None


def _local_route(path: str) -> str | None:
    candidates = [(prefix, spec) for spec in http_functions() for prefix in spec.paths if prefix_matches(prefix, path)]
    if not candidates:
        return None
    return max(candidates, key=lambda c: specificity(c[0]))[1].name


def _sample_paths(prefix: str) -> list[str]:
    concrete = prefix.replace("*", "42")
    return [concrete, concrete + "/", concrete + "/7", concrete + "/7/status", concrete + "-other"]


@pytest.mark.parametrize("prefix", [p for spec in http_functions() for p in spec.paths])
def test_the_url_map_routes_every_registry_path_like_the_local_router(prefix: str) -> None:
    for path in _sample_paths(prefix):
        assert _load_balancer_route(path) == _local_route(path), path
    assert _load_balancer_route(prefix.replace("*", "42")) is not None


def test_route_rules_are_generated_from_the_registry() -> None:
    routes = generated()["routes"]
    priorities = [r["priority"] for r in routes]
    assert priorities == sorted(set(priorities))
    covered = {(r["prefix"], r["function"]) for r in routes}
    for spec in http_functions():
        for prefix in spec.paths:
            assert (prefix, spec.name) in covered
    assert routes[0]["prefix"] == "/health"
    url_map = resources(module("edge"), "google_compute_url_map")["https"]
    matcher = one(url_map, "path_matcher")
    rules = dynamic(matcher, "route_rules")
    assert rules["for_each"] == "${var.routes}"
    assert named_blocks(module("platform"), "module")["edge"]["routes"] == "${var.routes}"


def test_one_serverless_neg_and_backend_per_http_function() -> None:
    edge = module("edge")
    neg = resources(edge, "google_compute_region_network_endpoint_group")["function"]
    assert neg["for_each"] == "${var.http_functions}" and neg["network_endpoint_type"] == "SERVERLESS"
    backend = resources(edge, "google_compute_backend_service")["function"]
    assert backend["security_policy"] == "${google_compute_security_policy.armor.id}"
    assert backend["load_balancing_scheme"] == "EXTERNAL_MANAGED"
    assert one(backend, "log_config")["enable"] is True
    cert = resources(edge, "google_compute_managed_ssl_certificate")["cert"]
    assert one(cert, "managed")["domains"] == ["${var.hostname}"]
    http = named_blocks(module("platform"), "module")["edge"]["http_functions"]
    assert "local.http_functions" in http


def test_cloud_armor_has_waf_rules_and_a_per_ip_rate_limit() -> None:
    policy = resources(module("edge"), "google_compute_security_policy")["armor"]
    rules = policy["rule"]
    actions = {rule["action"] for rule in rules}
    assert "rate_based_ban" in actions
    ban = next(rule for rule in rules if rule["action"] == "rate_based_ban")
    assert one(ban, "rate_limit_options")["enforce_on_key"] == "IP"
    waf = dynamic(policy, "rule")
    assert "evaluatePreconfiguredWaf" in one(one(one(waf, "content"), "match"), "expr")["expression"]
    defaults = named_blocks(module("edge"), "variable")["waf_rules"]["default"]
    assert {"sqli-v33-stable", "xss-v33-stable"} <= set(defaults)


# --- monitoring ----------------------------------------------------------------------------------------

def test_log_based_metrics_and_alerts_for_the_key_metrics() -> None:
    monitoring = module("monitoring")
    metrics = resources(monitoring, "google_logging_metric")
    assert {"lb_requests", "lb_5xx", "lb_latency", "sync_failures", "payment_failures"} <= set(metrics)
    assert "httpRequest.status>=500" in metrics["lb_5xx"]["filter"]
    assert "httpRequest.latency" in metrics["lb_latency"]["value_extractor"]
    alerts = resources(monitoring, "google_monitoring_alert_policy")
    assert {"error_rate", "latency", "sync_failures", "payment_failures", "dead_letters",
            "database_connections", "uptime"} <= set(alerts)
    variables = named_blocks(monitoring, "variable")
    assert variables["error_rate_threshold"]["default"] == 0.01
    assert (variables["latency_p95_warning_s"]["default"], variables["latency_p95_critical_s"]["default"]) == (0.5, 1.0)
    assert variables["payment_failure_rate_threshold"]["default"] == 0.05
    uptime = resources(monitoring, "google_monitoring_uptime_check_config")["health"]
    assert one(uptime, "http_check")["path"] == "/health"


# --- Cloud Build ----------------------------------------------------------------------------------------

CLOUDBUILD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["steps"],
    "additionalProperties": False,
    "properties": {
        "steps": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"}, "entrypoint": {"type": "string"},
                "args": {"type": "array", "items": {"type": "string"}}, "dir": {"type": "string"},
                "env": {"type": "array", "items": {"type": "string"}},
                "secretEnv": {"type": "array", "items": {"type": "string"}},
                "waitFor": {"type": "array", "items": {"type": "string"}}, "timeout": {"type": "string"},
                "script": {"type": "string"}, "allowFailure": {"type": "boolean"},
            },
        }},
        "substitutions": {"type": "object", "propertyNames": {"pattern": "^_[A-Z0-9_]+$"},
                          "additionalProperties": {"type": "string"}},
        "options": {"type": "object"},
        "timeout": {"type": "string", "pattern": r"^\d+(\.\d+)?s$"},
        "serviceAccount": {"type": "string"},
        "availableSecrets": {"type": "object"},
        "images": {"type": "array"},
        "artifacts": {"type": "object"},
        "tags": {"type": "array"},
        "logsBucket": {"type": "string"},
    },
}


def test_cloudbuild_is_valid_and_runs_test_build_plan_migrate_deploy_smoke() -> None:
    import jsonschema

    build = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(build, CLOUDBUILD_SCHEMA)
    steps = build["steps"]
    ids = [step["id"] for step in steps]
    assert len(ids) == len(set(ids))
    for step in steps:
        for dependency in step.get("waitFor", []):
            assert dependency == "-" or ids.index(dependency) < ids.index(step["id"]), step["id"]
    order = ["test", "build", "tf-apply-migrations-job", "migrate", "tf-plan", "deploy", "smoke-test"]
    assert [i for i in ids if i in order] == order
    by_id = {step["id"]: step for step in steps}
    assert "make test" in by_id["test"]["args"][-1] and by_id["test"]["name"] == "python:3.11"
    assert by_id["build"]["waitFor"] == ["test"], "no image is published for a commit whose tests fail"
    assert "migrations" in " ".join(by_id["migrate"]["args"])
    assert "/health" in by_id["smoke-test"]["args"][-1]
    gate = 'case "${BRANCH_NAME}${TAG_NAME}" in ${_APPLY_REF}) ;; *)'
    for step_id in ("tf-apply-migrations-job", "migrate", "deploy", "smoke-test"):
        assert by_id[step_id]["args"][-1].lstrip().startswith(gate), f"{step_id} must be plan-only off the apply ref"
    # What was planned is applied: each apply takes a saved plan file, never a fresh plan.
    assert "plan" in by_id["tf-plan"]["args"] and "-out=tfplan" in by_id["tf-plan"]["args"]
    assert by_id["deploy"]["args"][-1].rstrip().endswith("terraform apply -input=false -lock-timeout=5m tfplan")
    job = by_id["tf-apply-migrations-job"]["args"][-1]
    assert "-out=migrations.tfplan" in job
    assert job.rstrip().endswith("terraform apply -input=false -lock-timeout=5m migrations.tfplan")
    scripts = [" ".join(step.get("args", [])) for step in steps]
    applies = [line for script in scripts for line in script.splitlines() if "terraform apply" in line]
    assert len(applies) == 2 and all(line.rstrip().endswith("tfplan") for line in applies)
    for step in steps:
        if step.get("dir"):
            assert step["dir"] == "terraform/environments/${_ENV}"
    assert build["substitutions"]["_ENV"] in ENVIRONMENTS
    used = set(re.findall(r"\$\{(_[A-Z0-9_]+)\}", (ROOT / "cloudbuild.yaml").read_text(encoding="utf-8")))
    assert used <= set(build["substitutions"]), "undeclared substitutions"


# --- checkov --------------------------------------------------------------------------------------------

CHECKOV = ROOT / ".venv-tools" / "bin" / "checkov"  # `make tools` (a dependency of `make test`) installs it


def test_checkov_finds_no_failed_checks_and_every_skip_says_why() -> None:
    checkov = str(CHECKOV) if CHECKOV.exists() else shutil.which("checkov")
    assert checkov, "checkov is missing: run `make tools` (make test does) or put checkov on PATH"
    result = subprocess.run(
        [checkov, "-d", str(TF), "--framework", "terraform", "--skip-download", "--compact", "-o", "json"],
        capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [c["check_id"] + " " + c["resource"] for r in reports for c in r["results"]["failed_checks"]]
    skipped = [c for r in reports for c in r["results"]["skipped_checks"]]
    unexplained = [c["check_id"] + " " + c["resource"] for c in skipped
                   if len((c["check_result"].get("suppress_comment") or "").strip()) < 20]
    assert not failed
    assert not unexplained, "every `# checkov:skip=ID:reason` needs its reason"
    assert sum(r["summary"]["passed"] for r in reports) > 100  # it really scanned the modules
