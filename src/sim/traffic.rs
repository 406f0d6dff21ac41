//! Live traffic for the demo: new work orders, updates, comments, cancellations and
//! provider status pushes, at `--traffic N` events per minute. The sequence of events
//! is a function of `--seed` alone.

use crate::domain::state::{IntegrationState, QueueState};
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use tokio::sync::watch;

use super::Sim;
use super::schema::{INBOUND, PROVIDERS, WORK_ORDERS};
use super::seed::{DESCRIPTIONS, enqueue, new_work_order, provider_ids};
use super::store::Store;

pub fn spawn(sim: &Arc<Sim>, mut stop: watch::Receiver<bool>) {
    let sim = Arc::clone(sim);
    let period = Duration::from_secs_f64(60.0 / f64::from(sim.config.traffic.max(1)));
    tokio::spawn(async move {
        let mut rng = ChaCha8Rng::seed_from_u64(sim.config.seed.wrapping_add(1));
        let mut tick = tokio::time::interval(period);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if !sim.traffic_paused.load(std::sync::atomic::Ordering::Relaxed) {
                        event(&sim, &mut rng);
                    }
                }
                _ = super::stopped(&mut stop) => break,
            }
        }
    });
}

/// One traffic event.
pub fn event(sim: &Sim, rng: &mut ChaCha8Rng) {
    let providers = provider_ids(sim);
    if providers.is_empty() {
        return;
    }
    let roll: f64 = rng.gen_range(0.0..1.0);
    let created = || -> Vec<(String, String, String)> {
        let Ok(t) = sim.store.table(WORK_ORDERS) else { return Vec::new() };
        let t = t.read();
        // Most recent first, bounded: traffic acts on the live demo records.
        t.iter()
            .rev()
            .take(500)
            .filter(|r| Store::field(WORK_ORDERS, r, "integration_state") == IntegrationState::Created.as_str())
            .map(|r| {
                (
                    r[0].to_string(),
                    Store::field(WORK_ORDERS, r, "fm_provider").to_string(),
                    Store::field(WORK_ORDERS, r, "fm_work_order_id").to_string(),
                )
            })
            .collect()
    };
    let pick = |rng: &mut ChaCha8Rng, n: usize| (rng.next_u64() as usize) % n.max(1);
    let result = if roll < 0.4 {
        let (pid, _) = &providers[pick(rng, providers.len())];
        let d = DESCRIPTIONS[pick(rng, DESCRIPTIONS.len())];
        new_work_order(sim, pid, d, 1 + pick(rng, 4) as u8).map(|_| ())
    } else {
        let live = created();
        if live.is_empty() {
            return;
        }
        let (task, pid, fm_id) = &live[pick(rng, live.len())];
        if roll < 0.55 {
            let prio = (1 + pick(rng, 4)).to_string();
            let _ = sim.store.update(WORK_ORDERS, task, &[("priority", &prio)]);
            let _ =
                sim.store.update(WORK_ORDERS, task, &[("integration_state", IntegrationState::UpdatePending.as_str())]);
            enqueue(sim, pid, task, "update", &json!({"changed_fields": {"priority": prio}})).map(|_| ())
        } else if roll < 0.65 {
            let c = "Caller added: access via the side entrance";
            enqueue(sim, pid, task, "update", &json!({"comment": c})).map(|_| ())
        } else if roll < 0.7 {
            enqueue(sim, pid, task, "cancel", &json!({})).map(|_| ())
        } else {
            push_status(sim, rng, pid, fm_id)
        }
    };
    if let Err(e) = result {
        tracing::warn!("traffic event failed: {e}");
    }
}

/// The provider pushes a status change for one of its work orders (sometimes a bad one).
fn push_status(
    sim: &Sim,
    rng: &mut ChaCha8Rng,
    provider_id: &str,
    fm_id: &str,
) -> Result<(), super::store::StoreError> {
    let Ok(p) = sim.store.get(PROVIDERS, provider_id) else { return Ok(()) };
    let two_way = Store::field(PROVIDERS, &p, "kind") == "incident_two_way";
    let roll: f64 = rng.gen_range(0.0..1.0);
    let statuses: &[&str] = if two_way {
        &["Processing", "Snoozed", "Closed"]
    } else {
        &["in_progress", "on_hold", "completed", "scheduled"]
    };
    let status = statuses[(rng.next_u64() as usize) % statuses.len()];
    let corr = if roll < 0.1 { "FM-999999".to_string() } else { fm_id.to_string() };
    let seq = next_sequence(sim, provider_id);
    let payload = json!({"id": corr, "status": status, "note": format!("Provider set status to {status}")});
    sim.store.insert(
        INBOUND,
        &[
            ("state", QueueState::Ready.as_str()),
            ("provider", provider_id),
            ("sequence", &seq.to_string()),
            ("correlation_id", &corr),
            ("action_type", "update"),
            ("payload", &payload.to_string()),
        ],
    )?;
    Ok(())
}

fn next_sequence(sim: &Sim, provider_id: &str) -> u64 {
    let Ok(t) = sim.store.table(INBOUND) else { return 1 };
    let t = t.read();
    t.iter()
        .rev()
        .take(2000)
        .filter(|r| Store::field(INBOUND, r, "provider") == provider_id)
        .filter_map(|r| Store::field(INBOUND, r, "sequence").parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        + 1
}
