//! Finding a report by its tracking ID. The ID is a keyed permutation of the
//! report's row id, so the lookup inverts the permutation and reads the row by
//! primary key: no index over tracking IDs, which would cost a random B-tree
//! write per report at intake.

use crate::store::{ReportRecord, Store, StoreError};
use crate::tracking::{Minter, TrackingId};

pub async fn report(
    store: &dyn Store,
    minter: &Minter,
    id: TrackingId,
) -> Result<Option<ReportRecord>, StoreError> {
    let Some(counter) = minter.unmint(id) else {
        return Ok(None);
    };
    let Ok(counter) = i64::try_from(counter) else {
        return Ok(None);
    };
    let found = store.report_by_id(counter).await?;
    // The stored ID is checked too: a store filled under another key answers
    // "not found", never another report.
    Ok(found.filter(|r| r.tracking_id == id.to_string()))
}
