//! Logical tables and the instance tables they map to (per profile, DESIGN §3a).

use serde::Deserialize;

use super::Entity;

/// Declares [`Tables`]: one field per kind, named by its profile key (the config file's
/// `[profiles.NAME.tables]` keys; a test checks each is its description's `key`).
macro_rules! tables {
    ($($key:ident: $kind:ident,)*) => {
        /// Instance table names per logical table; a profile can override any of them.
        #[derive(Debug, Clone, Deserialize, PartialEq)]
        #[serde(default, deny_unknown_fields)]
        pub struct Tables {
            $(pub $key: String,)*
        }

        impl Default for Tables {
            /// What the embedded instance serves.
            fn default() -> Self {
                Tables { $($key: Entity::$kind.desc().default_table.to_string(),)* }
            }
        }

        impl Tables {
            pub fn name(&self, e: Entity) -> &str {
                match e {
                    $(Entity::$kind => &self.$key,)*
                }
            }

            pub fn name_mut(&mut self, e: Entity) -> &mut String {
                match e {
                    $(Entity::$kind => &mut self.$key,)*
                }
            }
        }
    };
}

tables! {
    providers: Providers,
    work_orders: WorkOrders,
    outbound: Outbound,
    inbound: Inbound,
    executions: Executions,
    history: History,
    flows: Flows,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_is_its_kinds_profile_key() {
        for e in Entity::ALL {
            let t: Tables = toml::from_str(&format!("{} = \"x_mapped\"", e.desc().key)).expect("a key of [tables]");
            assert_eq!(t.name(e), "x_mapped", "{e:?}");
            for other in Entity::ALL.into_iter().filter(|o| *o != e) {
                assert_eq!(t.name(other), other.desc().default_table);
            }
        }
    }
}
