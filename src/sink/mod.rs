//! Where exports go: local files or any object store, written so that readers only ever see complete
//! objects. (Parquet writing joins this module with the export.)

mod destination;

pub use destination::{Destination, DestinationError};
