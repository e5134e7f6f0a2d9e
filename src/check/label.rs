//! The labels of generated writes. A DBMS transaction's writes are named for their role in it
//! (`t12.log`, `t12.data1`, `t12.commit`), so that a violation reads as the patent's story of
//! io1, io2 and io3. Such a label is derived, not chosen: it is kept as 8 bytes (transaction and
//! role) beside the write's record while the checker holds it, and formatted only when a
//! violation or a trace line names the write, so memory does not grow with the writes issued.

use std::fmt;

/// The part a write plays in its DBMS transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The log record written first (the patent's io1).
    Log,
    /// The k-th data write (from 1), issued once the log record completed (io2).
    Data(u16),
    /// The commit record, issued once every data write completed (io3).
    Commit,
}

/// A generated write's label, or none: the transaction (from 1) and the role, packed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Label(u64);

/// Low bits that hold the role: 0 is no label, `u16::MAX` the commit record, 1 the log
/// record, and 2 + k - 1 the k-th data write.
const ROLE_BITS: u32 = 16;
const COMMIT: u64 = u16::MAX as u64;

impl Label {
    /// No label: the write is named `w<id>`.
    pub const NONE: Label = Label(0);

    /// The write of transaction `txn` (from 1; wraps past 2^48, far beyond any run) in `role`.
    pub fn txn(txn: u64, role: Role) -> Self {
        let code = match role {
            Role::Log => 1,
            Role::Data(k) => (1 + u64::from(k)).min(COMMIT - 1),
            Role::Commit => COMMIT,
        };
        Label((txn & ((1 << 48) - 1)) << ROLE_BITS | code)
    }

    /// Whether this is no label.
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// Its transaction and role, if it has any.
    pub fn parts(self) -> Option<(u64, Role)> {
        let role = match self.0 & COMMIT {
            0 => return None,
            1 => Role::Log,
            COMMIT => Role::Commit,
            k => Role::Data((k - 1) as u16),
        };
        Some((self.0 >> ROLE_BITS, role))
    }

    /// The name of write `id` (a [`crate::check::WriteId`]) carrying this label: the label, or
    /// `w<id>` when it has none. The id is a plain number here so that labels, which the
    /// checker's records hold, name nothing of the checker.
    pub fn name(self, id: u64) -> String {
        if self.is_none() {
            format!("w{id}")
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parts() {
            None => Ok(()),
            Some((t, Role::Log)) => write!(f, "t{t}.log"),
            Some((t, Role::Data(k))) => write!(f, "t{t}.data{k}"),
            Some((t, Role::Commit)) => write!(f, "t{t}.commit"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_transaction_and_the_role() {
        assert_eq!(Label::txn(12, Role::Log).name(7), "t12.log");
        assert_eq!(Label::txn(12, Role::Data(1)).name(7), "t12.data1");
        assert_eq!(Label::txn(12, Role::Data(4096)).name(7), "t12.data4096");
        assert_eq!(Label::txn(1, Role::Commit).name(7), "t1.commit");
        assert_eq!(Label::NONE.name(7), "w7");
        assert_eq!(std::mem::size_of::<Label>(), 8);
    }
}
