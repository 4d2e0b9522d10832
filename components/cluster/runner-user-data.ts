/**
 * The boot script of an ephemeral GitHub Actions runner (components/cluster/deploy-runner.ts).
 *
 * - The tools the jobs call are installed here at pinned versions: the GitHub CLI and kubectl
 *   from their projects' signed RPM repositories (kubectl at the patch release the test control
 *   plane runs, dev/engines/kubernetes/go.mod), the rest from Amazon Linux's own repository,
 *   locked to the image's release. Node.js and the Pulumi CLI come from each job's own setup
 *   steps (actions/setup-node, pulumi/actions) at the versions the workflows pin.
 * - The GitHub token that may register runners is read by a root-only service before any job
 *   starts, traded for a one-hour registration token, and never written to disk. Jobs run as the
 *   unprivileged `runner` user, which has no sudo (and `NoNewPrivileges`), cannot write the
 *   system directories, and cannot reach the instance metadata service (systemd's
 *   `IPAddressDeny`), so it never sees the instance role that reads that token.
 * - The runner registers with `--ephemeral`: it takes one job, then the instance powers off,
 *   is terminated (the launch template's shutdown behaviour) and the Auto Scaling group starts
 *   a fresh one. Nothing a job leaves behind (tool cache, binaries) reaches the next job.
 */

/** GitHub CLI release the runner installs (the drift and dr workflows call `gh`). */
export const defaultGhVersion = "2.105.0";
/** kubectl the runner installs (DR promotion runs `kubectl exec`): the test control plane's. */
export const defaultKubectlVersion = "1.35.4";

export interface RunnerUserDataArgs {
    /** `owner/repository` the runner registers with. */
    readonly repository: string;
    /** SSM SecureString holding the GitHub token that may create registration tokens. */
    readonly tokenParameter: string;
    readonly region: string;
    /** actions/runner release and the SHA-256 of its linux-x64 tarball. */
    readonly version: string;
    readonly sha256: string;
    /** The runner's label (`runs-on: [self-hosted, linux, x64, <label>]`). */
    readonly label: string;
    /** @default defaultGhVersion */
    readonly ghVersion?: string;
    /** @default defaultKubectlVersion */
    readonly kubectlVersion?: string;
}

/** One package the boot script installs and the commands it puts on PATH for the jobs. */
export interface RunnerPackage {
    /** The `dnf install` argument, with its pinned version where it has one. */
    readonly spec: string;
    readonly commands: readonly string[];
}

/** What the runner installs for its jobs, in `dnf install` order. */
export function runnerPackages(args: Pick<RunnerUserDataArgs, "ghVersion" | "kubectlVersion">) {
    const gh = args.ghVersion ?? defaultGhVersion;
    const kubectl = args.kubectlVersion ?? defaultKubectlVersion;
    const packages: RunnerPackage[] = [
        { spec: "git", commands: ["git"] },
        { spec: "jq", commands: ["jq"] },
        { spec: "tar", commands: ["tar"] },
        { spec: "gzip", commands: ["gzip", "gunzip"] },
        { spec: "awscli-2", commands: ["aws"] },
        // The runner's .NET runtime needs ICU.
        { spec: "libicu", commands: [] },
        { spec: `gh-${gh}`, commands: ["gh"] },
        { spec: `kubectl-${kubectl}`, commands: ["kubectl"] },
    ];
    return packages;
}

const versionPattern = /^\d+\.\d+\.\d+$/;

/** The boot script (user data) of one runner instance. */
export function runnerUserData(args: RunnerUserDataArgs): string {
    const gh = args.ghVersion ?? defaultGhVersion;
    const kubectl = args.kubectlVersion ?? defaultKubectlVersion;
    for (const [key, value] of [
        ["ghVersion", gh],
        ["kubectlVersion", kubectl],
        ["version", args.version],
    ] as const) {
        if (!versionPattern.test(value)) {
            throw new Error(
                `deploy runner: ${key} must be a version such as 1.2.3, got "${value}"`,
            );
        }
    }
    const kubectlMinor = kubectl.split(".").slice(0, 2).join(".");
    const packages = runnerPackages(args);
    const commands = packages.flatMap((p) => p.commands);
    const tarball = `actions-runner-linux-x64-${args.version}.tar.gz`;
    const home = "/home/runner/actions-runner";
    return [
        "#!/bin/bash",
        "# An ephemeral GitHub Actions runner: components/cluster/runner-user-data.ts.",
        "set -euo pipefail",
        "",
        "cat >/etc/yum.repos.d/gh-cli.repo <<'REPO'",
        "[gh-cli]",
        "name=GitHub CLI",
        "baseurl=https://cli.github.com/packages/rpm",
        "enabled=1",
        "gpgcheck=1",
        "gpgkey=https://cli.github.com/packages/githubcli-archive-keyring.asc",
        "REPO",
        "cat >/etc/yum.repos.d/kubernetes.repo <<'REPO'",
        "[kubernetes]",
        "name=Kubernetes",
        `baseurl=https://pkgs.k8s.io/core:/stable:/v${kubectlMinor}/rpm/`,
        "enabled=1",
        "gpgcheck=1",
        `gpgkey=https://pkgs.k8s.io/core:/stable:/v${kubectlMinor}/rpm/repodata/repomd.xml.key`,
        "REPO",
        `dnf install -y --setopt=install_weak_deps=False ${packages.map((p) => p.spec).join(" ")}`,
        `for command in ${commands.join(" ")}; do command -v "$command" >/dev/null; done`,
        "",
        "id runner >/dev/null 2>&1 || useradd --create-home --shell /bin/bash runner",
        `install -d -o runner -g runner ${home}`,
        `cd ${home}`,
        `curl -fsSL -o runner.tar.gz https://github.com/actions/runner/releases/download/v${args.version}/${tarball}`,
        `echo "${args.sha256}  runner.tar.gz" | sha256sum --check --strict -`,
        "runuser -u runner -- tar xzf runner.tar.gz && rm runner.tar.gz",
        "",
        "install -m 0700 -o root -g root /dev/stdin /usr/local/sbin/register-runner <<'SCRIPT'",
        "#!/bin/bash",
        "set -euo pipefail",
        `GITHUB_TOKEN=$(aws ssm get-parameter --region ${args.region} --with-decryption --name '${args.tokenParameter}' --query Parameter.Value --output text)`,
        `REGISTRATION=$(curl -fsSL -X POST -H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" https://api.github.com/repos/${args.repository}/actions/runners/registration-token | jq -r .token)`,
        "unset GITHUB_TOKEN",
        `cd ${home}`,
        `runuser -u runner -- ./config.sh --unattended --ephemeral --disableupdate --replace --url https://github.com/${args.repository} --token "$REGISTRATION" --labels ${args.label} --name "${args.label}-$(hostname -s)"`,
        "SCRIPT",
        "",
        "cat >/etc/systemd/system/actions-runner-register.service <<'UNIT'",
        "[Unit]",
        "Description=Register this instance as an ephemeral GitHub Actions runner (root only)",
        "Wants=network-online.target",
        "After=network-online.target",
        "FailureAction=poweroff",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        "ExecStart=/usr/local/sbin/register-runner",
        "UNIT",
        "cat >/etc/systemd/system/actions-runner.service <<'UNIT'",
        "[Unit]",
        "Description=Ephemeral GitHub Actions runner: one job, then the instance powers off",
        "Requires=actions-runner-register.service",
        "After=actions-runner-register.service",
        "SuccessAction=poweroff",
        "FailureAction=poweroff",
        "[Service]",
        "User=runner",
        `WorkingDirectory=${home}`,
        `ExecStart=${home}/run.sh`,
        "NoNewPrivileges=yes",
        "ProtectSystem=full",
        "PrivateTmp=yes",
        "IPAddressDeny=169.254.169.254/32 fd00:ec2::254/128",
        "[Install]",
        "WantedBy=multi-user.target",
        "UNIT",
        "systemctl daemon-reload",
        "systemctl enable --now actions-runner.service",
        "",
    ].join("\n");
}
