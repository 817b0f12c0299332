"""A one-node SLURM cluster on localhost for the tests (Debian's slurm-wlm and munge, run as root).

The recipe is ../shared/notes/slurm-local.md: munged as the munge user, then slurmctld and slurmd
with a slurm.conf whose controller and only node are this host, no accounting daemon (so job
status comes from ``squeue``; MinJobAge keeps finished jobs visible to it). State, logs and pid
files live in one folder. The configuration is written to /etc/slurm/slurm.conf, where ``srun``
inside a job looks for it, only when no file is there (a real cluster's is never touched), and is
removed again by ``stop``. Only the daemons started here are stopped, by their process ids.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo")
MUNGE_KEY = Path("/etc/munge/munge.key")
MUNGE_PID = Path("/run/munge/munged.pid")
SLURM_CONF = Path("/etc/slurm/slurm.conf")
MARK = "# written by trialmri tests/localslurm.py"


def unavailable() -> str | None:
    """Why a local cluster cannot be started here, or None when it can."""
    if os.name != "posix" or os.geteuid() != 0:
        return "starting slurmctld/slurmd needs root (CI runs as root)"
    missing = [d for d in DAEMONS if shutil.which(d) is None and not Path("/usr/sbin", d).exists()]
    if missing:
        return (f"{', '.join(missing)} not installed: `make test` installs Debian's slurm-wlm and munge "
                "where it runs as root with apt-get")
    if SLURM_CONF.exists() and MARK not in SLURM_CONF.read_text():
        return f"{SLURM_CONF} exists (a real cluster's configuration): the test cluster does not replace it"
    return None


def _exe(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class LocalSlurm:
    """A running one-node cluster; ``env`` is what a client (sbatch, snakemake) needs."""

    root: Path
    conf: Path
    host: str
    owns_conf: bool = False
    started: dict = field(default_factory=dict)  # daemon name -> pid, only those started here

    @property
    def env(self) -> dict:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *cmd: str) -> str:
        return subprocess.run(cmd, env=self.env, check=True, capture_output=True, text=True).stdout

    def stop(self) -> None:
        """Stop what this object started, newest first, by process id; wait until each is gone."""
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self.started.pop(name, None)
            if not _alive(pid):
                continue
            os.kill(pid, 15)
            for _ in range(100):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, 9)
        if self.owns_conf:
            self.conf.unlink(missing_ok=True)
            self.owns_conf = False


def _write_conf(root: Path, host: str) -> Path:
    # Twice the machine's cores as job slots: the tests' SLURM jobs are short and wait mostly on
    # Snakemake's start-up and status polls, so two at a time on a 2-core machine leave it idle
    # (config_overrides: slurmd takes these CPUs rather than draining the node for having fewer).
    cpus = 2 * (os.cpu_count() or 1)
    with open("/proc/meminfo") as f:
        avail_kib = next(int(line.split()[1]) for line in f if line.startswith("MemAvailable"))
    mem_mib = avail_kib // 1024 * 9 // 10
    for sub in ("spool/slurmd", "spool/slurmctld", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    if SLURM_CONF.exists() and MARK not in SLURM_CONF.read_text():
        raise RuntimeError(f"{SLURM_CONF} exists and was not written by the tests; not replacing it")
    SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SLURM_CONF.write_text(f"""{MARK}
ClusterName=trialmrici
SlurmctldHost={host}
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmdSpoolDir={root}/spool/slurmd
StateSaveLocation={root}/spool/slurmctld
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=3600
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
NodeName={host} CPUs={cpus} RealMemory={mem_mib} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
    return SLURM_CONF


def _start_munge(cluster: LocalSlurm) -> None:
    """munged as the munge user (as root it refuses its own log folder); reuse a running one."""
    if _alive(_pid(MUNGE_PID)):
        return
    if not MUNGE_KEY.exists() or MUNGE_KEY.stat().st_size == 0:
        MUNGE_KEY.parent.mkdir(parents=True, exist_ok=True)
        MUNGE_KEY.write_bytes(os.urandom(1024))
    for folder in (MUNGE_KEY.parent, Path("/run/munge"), Path("/var/lib/munge"), Path("/var/log/munge")):
        folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, "munge", "munge")
    shutil.chown(MUNGE_KEY, "munge", "munge")
    MUNGE_KEY.chmod(0o400)
    subprocess.run(["runuser", "-u", "munge", "--", _exe("munged")], check=True)
    for _ in range(50):
        if _alive(_pid(MUNGE_PID)):
            cluster.started["munged"] = _pid(MUNGE_PID)
            return
        time.sleep(0.1)
    raise RuntimeError("munged did not start (see /var/log/munge/munged.log)")


def start(root: Path, timeout_s: float = 60) -> LocalSlurm:
    """Start munge, slurmctld and slurmd with their files under ``root``; wait for an idle node."""
    root = Path(root)
    host = socket.gethostname().split(".")[0]
    cluster = LocalSlurm(root=root, conf=_write_conf(root, host), host=host, owns_conf=True)
    try:
        _start_munge(cluster)
        for daemon in ("slurmctld", "slurmd"):
            subprocess.run([_exe(daemon), "-f", str(cluster.conf)], env=cluster.env, check=True)
            pid_file = root / f"{daemon}.pid"
            for _ in range(100):
                if _alive(_pid(pid_file)):
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"{daemon} did not start; see {root / 'log' / (daemon + '.log')}")
            cluster.started[daemon] = _pid(pid_file)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            states = subprocess.run(["sinfo", "-h", "-o", "%t"], env=cluster.env, capture_output=True,
                                    text=True).stdout.split()
            if "idle" in states:
                return cluster
            time.sleep(0.5)
        raise RuntimeError(f"node {host} not idle after {timeout_s} s; see {root / 'log'}")
    except BaseException:
        cluster.stop()
        raise
