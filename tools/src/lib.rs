//! The measuring tools of capacity-survey, outside the product: the bench (`bench`), the soak
//! (`soak`, whose seeding, save plan and ledger the durability tests share), the bulk inserts
//! they seed with (`seed`), and the HTTP client they drive the server with (`http`).

pub mod bench;
pub mod cli;
pub mod http;
pub mod seed;
pub mod soak;
