"""Launchers: SLURM (slurm.py), Cloud TPU VMs (tpu.py) and sweeps (sweep.py)."""
