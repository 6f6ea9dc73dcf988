// Booking community services: a product's terms and free seats, booking it, the resident's
// bookings, and the organisation's list with its steps.
import { UserErrorFields } from './fragments.js';

const BookingFields = `fragment BookingFields on Booking {
  id day status priceTier priceYuan points note reason createdAt
  product { id title }
}`;

/** A product's booking terms and the seats left on the chosen day. */
export const ProductBooking = `query ProductBooking($id: ID!, $day: String!) {
  node(id: $id) { ... on Product { id bookingTerms { open daysAhead seatsPerDay perResidentPerDay } seatsLeft(day: $day) } }
}`;

export const BookProduct = `mutation BookProduct($input: BookProductInput!) {
  bookProduct(input: $input) { booking { ...BookingFields } errors { ...UserErrorFields } }
}
${BookingFields}
${UserErrorFields}`;

export const MyBookings = `query MyBookings {
  myBookings(first: 50) { totalCount edges { node { ...BookingFields organisation { id name contact } } } }
}
${BookingFields}`;

export const CancelBooking = `mutation CancelBooking($input: BookingInput!) {
  cancelBooking(input: $input) { booking { id status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

/** The organisation's bookings, newest first, and its published products to open to booking. */
export const OrganisationBookings = `query OrganisationBookings($id: ID!) {
  node(id: $id) {
    ... on Organisation {
      id name
      bookings(first: 50) { totalCount edges { node { ...BookingFields } } }
      products(status: PUBLISHED, first: 20) { edges { node { id title bookingTerms { open seatsPerDay daysAhead perResidentPerDay } } } }
    }
  }
}
${BookingFields}`;

export const AcceptBooking = `mutation AcceptBooking($input: BookingInput!) {
  acceptBooking(input: $input) { booking { id status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const DeclineBooking = `mutation DeclineBooking($input: DeclineBookingInput!) {
  declineBooking(input: $input) { booking { id status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const MarkBookingDelivered = `mutation MarkBookingDelivered($input: BookingInput!) {
  markBookingDelivered(input: $input) { booking { id status } errors { ...UserErrorFields } }
}
${UserErrorFields}`;

export const SetBookingTerms = `mutation SetBookingTerms($input: SetBookingTermsInput!) {
  setBookingTerms(input: $input) { terms { open seatsPerDay daysAhead perResidentPerDay } errors { ...UserErrorFields } }
}
${UserErrorFields}`;
