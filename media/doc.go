// Package media keeps copies of the photos and voice messages residents
// send with a service request. WeChat keeps a message's media for three
// days, and a ticket can stay open far longer, so the copies are made when
// the ticket is filed.
//
// Filing a ticket (tickets.Service.Submit) hands its references to KeepTx,
// which records one ticket_media row per photo or voice message and queues
// one download job per row in the filing's transaction. The job, on any
// instance, downloads the file from WeChat (a MediaId through the API, a
// PicUrl from WeChat's image CDN), puts it in the blob store and records
// its key, type and size on the row. Transient failures (WeChat busy or
// down, the blob store unreachable) are retried with capped, jittered
// backoff; WeChat's refusals (40007 once a MediaId has expired, a picture
// gone) mark the row failed with the reason, at once. Staff read the
// copies through Open (the admin API streams them); EraseTicketMedia
// deletes them when a resident's data is erased.
//
// The files follow those parts: media.go is the API (New, KeepTx, List,
// Open, EraseTicketMedia), fetch.go the download job.
//
// It does not decide who may see a copy (the admin API's token does) nor
// when copies must go (resident erasure and retention call
// EraseTicketMedia), and it keeps no bytes itself: blobs does.
package media
