"""A seeded, vectorised social-force simulator with a tunable interaction strength.

Each agent walks at its own desired speed ``v0`` in a direction that drifts as a random walk. Its
acceleration is

    dv_i/dt = (v0_i e_i - v_i) / tau + lam * sum_{j != i} A exp((r - d_ij) / B) n_ij w_ij + sigma_a xi_i,

with ``d_ij`` the distance, ``n_ij`` the unit vector from j to i, ``w_ij = kappa + (1 - kappa)(1 + cos phi_ij)/2``
the anisotropy (agents react more to what is in front of them) and ``xi`` white noise. In the
*leader-follower* mode every odd-numbered agent follows the agent before it: its desired direction
is ``normalise((1 - gamma) e_i + gamma u_i)`` with ``u_i`` the unit vector towards its leader's current
position. With ``lam = gamma = 0`` every agent moves independently of all others.

The whole simulation is a tensor program over [scenes, agents]; all randomness is drawn up front
from one seeded generator, so an agent's noise does not depend on the other agents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from iclr22lib.trajattr.data import WINDOW, TrajBatch, windows


@dataclass(frozen=True)
class ForceParams:
    """Constants of the social force (SI units)."""

    tau: float = 0.5  # relaxation time, s
    strength: float = 2.0  # A, m/s^2
    range_: float = 0.3  # B, m
    radius: float = 0.6  # r, m (sum of two body radii)
    kappa: float = 0.3  # anisotropy
    dt: float = 0.1  # Euler step, s
    record_every: int = 4  # 0.4 s between recorded positions, as ETH/UCY
    heading_noise: float = 0.35  # rad / sqrt(s), random walk of the desired direction
    accel_noise: float = 0.3  # m/s^2 / sqrt(s)
    max_speed: float = 2.5  # m/s
    arena: float = 8.0  # side of the square agents start in, m
    burn_in: int = 10  # Euler steps before the first recorded position


@dataclass
class InitialState:
    """Start of a rollout. Shapes: ``pos``, ``vel`` [S, A, 2]; ``heading``, ``speed`` [S, A];
    ``heading_noise`` [T, S, A], ``accel_noise`` [T, S, A, 2] (standard normal, T Euler steps)."""

    pos: torch.Tensor
    vel: torch.Tensor
    heading: torch.Tensor
    speed: torch.Tensor
    heading_noise: torch.Tensor
    accel_noise: torch.Tensor


def initial_state(
    n_scenes: int, n_agents: int, seed: int, params: ForceParams = ForceParams()
) -> InitialState:
    """Random starts (uniform in the arena, heading uniform, speed N(1.3, 0.2)) and all noise, seeded."""
    if n_scenes < 1 or n_agents < 1:
        raise ValueError(
            f"need at least one scene and one agent, got n_scenes={n_scenes}, n_agents={n_agents}"
        )
    gen = torch.Generator().manual_seed(seed)
    steps = params.burn_in + (WINDOW - 1) * params.record_every
    pos = (torch.rand(n_scenes, n_agents, 2, generator=gen) - 0.5) * params.arena
    heading = torch.rand(n_scenes, n_agents, generator=gen) * 2 * torch.pi
    speed = (1.3 + 0.2 * torch.randn(n_scenes, n_agents, generator=gen)).clamp(0.5, 2.0)
    vel = speed[..., None] * torch.stack([heading.cos(), heading.sin()], -1)
    return InitialState(
        pos=pos,
        vel=vel,
        heading=heading,
        speed=speed,
        heading_noise=torch.randn(steps, n_scenes, n_agents, generator=gen),
        accel_noise=torch.randn(steps, n_scenes, n_agents, 2, generator=gen),
    )


def rollout(
    state: InitialState, lam: float, gamma: float = 0.0, params: ForceParams = ForceParams()
) -> torch.Tensor:
    """Integrate the social force; returns recorded positions [S, 20, A, 2] (float64)."""
    if lam < 0 or not 0 <= gamma <= 1:
        raise ValueError(f"need lam >= 0 and 0 <= gamma <= 1, got lam={lam}, gamma={gamma}")
    p = params
    pos, vel = state.pos.double().clone(), state.vel.double().clone()
    heading, speed = state.heading.double().clone(), state.speed.double()
    n_agents = pos.shape[1]
    follower = torch.zeros(n_agents, dtype=torch.bool)
    follower[1::2] = True
    leader = torch.arange(n_agents) - follower.long()  # odd agents follow the one before them
    eye = torch.eye(n_agents, dtype=torch.bool)
    out = []
    steps = state.heading_noise.shape[0]
    for t in range(steps):  # time is sequential; scenes and agents are batched
        heading = heading + p.heading_noise * np.sqrt(p.dt) * state.heading_noise[t].double()
        e = torch.stack([heading.cos(), heading.sin()], -1)  # [S, A, 2]
        if gamma > 0:
            to_leader = pos[:, leader] - pos
            u = to_leader / to_leader.norm(dim=-1, keepdim=True).clamp_min(1e-6)
            mixed = (1 - gamma) * e + gamma * u
            mixed = mixed / mixed.norm(dim=-1, keepdim=True).clamp_min(1e-6)
            e = torch.where(follower[None, :, None], mixed, e)
        acc = (speed[..., None] * e - vel) / p.tau
        if lam > 0:
            diff = pos[:, :, None] - pos[:, None]  # [S, A, A, 2]: from j to i
            dist = diff.norm(dim=-1).clamp_min(1e-6)
            n = diff / dist[..., None]
            cos_phi = -(n * e[:, :, None]).sum(-1)  # j in front of i: cos = 1
            w = p.kappa + (1 - p.kappa) * (1 + cos_phi) / 2
            mag = p.strength * torch.exp((p.radius - dist) / p.range_) * w
            mag = mag.masked_fill(eye, 0.0)
            acc = acc + lam * (mag[..., None] * n).sum(2)
        acc = acc + p.accel_noise / np.sqrt(p.dt) * state.accel_noise[t].double()
        vel = vel + acc * p.dt
        sp = vel.norm(dim=-1, keepdim=True)
        vel = vel * (p.max_speed / sp.clamp_min(p.max_speed))
        pos = pos + vel * p.dt
        if t >= p.burn_in - 1 and (t - p.burn_in + 1) % p.record_every == 0:
            out.append(pos)
    return torch.stack(out[:WINDOW], dim=1)


def simulate(
    n_scenes: int,
    n_agents: int,
    lam: float,
    gamma: float = 0.0,
    *,
    seed: int = 0,
    params: ForceParams = ForceParams(),
) -> torch.Tensor:
    """Simulated positions [S, 20, A, 2] (metres, 0.4 s apart) of ``n_scenes`` independent scenes."""
    return rollout(initial_state(n_scenes, n_agents, seed, params), lam, gamma, params)


def simulated_samples(
    n_scenes: int,
    n_agents: int,
    lam: float,
    gamma: float = 0.0,
    *,
    seed: int = 0,
    radius: float = 3.0,
    max_nbrs: int = 4,
    params: ForceParams = ForceParams(),
) -> TrajBatch:
    """Every agent of every simulated scene as a target, with neighbours as for ETH/UCY."""
    tracks = simulate(n_scenes, n_agents, lam, gamma, seed=seed, params=params)
    return windows(tracks.numpy(), radius=radius, max_nbrs=max_nbrs)
