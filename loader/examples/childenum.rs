//! Diagnoses why a child process may not see a platform its parent sees: prints the environment
//! variables that OpenCL initialization changed in this process, then the devices a child sees
//! with the inherited environment and with the one this process started with.
use std::collections::BTreeMap;
use std::process::Command;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("child") {
        match vv_loader::device::enumerate() {
            Ok(ds) => ds.iter().for_each(|d| println!("  child sees #{} {} ({})", d.index, d.name, d.platform)),
            Err(e) => println!("  child: {e}"),
        }
        return;
    }
    let before: BTreeMap<_, _> = std::env::vars_os().collect();
    let devices = vv_loader::device::enumerate().expect("devices");
    for d in &devices {
        println!("parent sees #{} {} ({})", d.index, d.name, d.platform);
    }
    let after: BTreeMap<_, _> = std::env::vars_os().collect();
    for (k, v) in &after {
        if before.get(k) != Some(v) {
            println!("changed by enumeration: {k:?}={v:?} (was {:?})", before.get(k));
        }
    }
    for k in before.keys().filter(|k| !after.contains_key(*k)) {
        println!("removed by enumeration: {k:?}");
    }
    let me = std::env::current_exe().unwrap();
    println!("child, inherited environment:");
    let _ = Command::new(&me).arg("child").status();
    println!("child, starting environment:");
    let _ = Command::new(&me).arg("child").env_clear().envs(&before).status();
}
