//! The sample app's orders: a bounded in-memory book, newest last.
//!
//! A load test creates orders by the thousand, so the book keeps the latest
//! [`MAX_ORDERS`] and forgets older ones (they then answer 404): memory stays flat however
//! long the app runs.

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};

/// Orders kept before the oldest are forgotten.
pub const MAX_ORDERS: usize = 20_000;

/// The first order id; ids are 13-digit numbers, like a shop's order numbers.
const FIRST_ID: u64 = 1_000_000_000_001;

/// One order.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: u64,
    pub sku: String,
    pub quantity: u32,
    /// Total price in fen (1/100 yuan).
    pub amount_fen: u64,
    pub created_ms: u64,
}

impl Order {
    /// The order as the API answers it.
    pub fn to_json(&self) -> Value {
        json!({
            "order_id": self.id.to_string(),
            "sku": self.sku,
            "quantity": self.quantity,
            "amount": self.amount_fen as f64 / 100.0,
            "currency": "CNY",
            "state": "CREATED",
            "created_at": self.created_ms,
        })
    }
}

/// The unit price of a SKU in fen: `SKU-<digits>` only, priced from its number.
pub fn unit_price_fen(sku: &str) -> Option<u64> {
    let digits = sku.strip_prefix("SKU-")?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(990 + (n % 10) * 1_000)
}

/// The orders.
#[derive(Debug, Default)]
pub struct Book {
    by_id: HashMap<u64, Order>,
    order: VecDeque<u64>,
    next: u64,
}

impl Book {
    /// A book with a few orders already placed, so that listing is never empty.
    pub fn seeded(now_ms: u64) -> Book {
        let mut book = Book::default();
        for (sku, quantity) in [("SKU-1001", 1), ("SKU-1002", 2), ("SKU-1003", 1)] {
            book.create(sku, quantity, now_ms);
        }
        book
    }

    /// Places an order; the SKU must be priced ([`unit_price_fen`]).
    pub fn create(&mut self, sku: &str, quantity: u32, now_ms: u64) -> Option<Order> {
        let price = unit_price_fen(sku)?;
        let id = FIRST_ID + self.next;
        self.next += 1;
        let order = Order {
            id,
            sku: sku.to_owned(),
            quantity,
            amount_fen: price * u64::from(quantity),
            created_ms: now_ms,
        };
        self.by_id.insert(id, order.clone());
        self.order.push_back(id);
        while self.order.len() > MAX_ORDERS {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
        Some(order)
    }

    /// The order with this id, if still kept.
    pub fn get(&self, id: u64) -> Option<&Order> {
        self.by_id.get(&id)
    }

    /// Page `page` (from 1) of `size` orders, newest first, and the number kept.
    pub fn page(&self, page: usize, size: usize) -> (Vec<&Order>, usize) {
        let skip = page.saturating_sub(1).saturating_mul(size);
        let orders = self
            .order
            .iter()
            .rev()
            .skip(skip)
            .take(size)
            .filter_map(|id| self.by_id.get(id))
            .collect();
        (orders, self.order.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_come_from_the_sku_number() {
        assert_eq!(unit_price_fen("SKU-1001"), Some(1_990));
        assert_eq!(unit_price_fen("SKU-7"), Some(7_990));
        for bad in ["sku-1", "SKU-", "SKU-12a", "SKU-1234567890", ""] {
            assert_eq!(unit_price_fen(bad), None, "{bad}");
        }
    }

    #[test]
    fn pages_are_newest_first_and_the_book_is_bounded() {
        let mut book = Book::seeded(0);
        let order = book.create("SKU-2", 3, 1).expect("priced");
        assert_eq!(order.amount_fen, 3 * 2_990);
        let (first, total) = book.page(1, 2);
        assert_eq!(total, 4);
        assert_eq!(first[0].id, order.id);
        assert_eq!(book.page(3, 2).0.len(), 0);
        for _ in 0..MAX_ORDERS {
            book.create("SKU-1", 1, 2);
        }
        assert_eq!(book.page(1, 1).1, MAX_ORDERS);
        assert!(
            book.get(order.id).is_none(),
            "the oldest orders are forgotten"
        );
    }
}
